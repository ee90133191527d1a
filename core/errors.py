"""Exceptions that carry a message meant for the person who acted.

Services raise `UserFacingError` for bad input or a state that forbids the action;
the global error handler shows the message privately and logs no traceback.
Services raise it before changing anything, so a refused action changes nothing.
"""

from __future__ import annotations


class UserFacingError(Exception):
    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message
