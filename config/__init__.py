"""Typed settings and the content groups edit without touching code."""
