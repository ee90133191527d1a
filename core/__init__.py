"""Pieces every feature uses: the bot itself, logging, the scheduler, the clock, errors,
server settings."""
