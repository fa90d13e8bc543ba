"""Text rules every port shares: whether a Python string can travel as UTF-8.

A lone surrogate (U+D800 to U+DFFF alone) makes a valid Python ``str`` with no UTF-8
form: every driver and SDK fails on it with a bare ``UnicodeEncodeError``, so each port's
rules refuse it with a typed error first.
"""

from __future__ import annotations

__all__ = ["has_utf8"]


def has_utf8(text: str) -> bool:
    """Whether *text* has a UTF-8 form (holds no lone surrogate)."""
    if text.isascii():
        return True
    try:
        text.encode()
    except UnicodeEncodeError:
        return False
    return True
