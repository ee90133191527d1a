"""Pieces every feature uses: logging, the scheduler, the clock, errors, server settings."""
