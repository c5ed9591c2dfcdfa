"""How a scenario's validation errors read: one line naming the field and the problem.

Used for files (loader.py) and for changes to a scenario (changes.py) alike, so
a value refused on the command line reads as it would in a file.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pydantic import ValidationError

from atlarge.scenario.schema import FieldPathError


def show(value: Any, width: int = 60) -> str:
    """``repr(value)`` cut to ``width``; safe for integers too long to print."""
    if isinstance(value, int) and not isinstance(value, bool) and value.bit_length() > 200:
        return f"an integer of about {int(value.bit_length() * 0.30103):,} digits"
    try:
        shown = repr(value)
    except ValueError:
        shown = f"<{type(value).__name__}>"
    return shown if len(shown) <= width else shown[: width - 3] + "..."


def first_problem(exc: ValidationError) -> tuple[str, tuple[str, ...], str]:
    """The first problem of a failed validation: its dotted field path, the related fields
    (a consistency error between fields names them) and one line saying what is wrong."""
    err = exc.errors()[0]
    loc = ".".join(str(p) for p in err["loc"])
    cause = (err.get("ctx") or {}).get("error")
    related: tuple[str, ...] = ()
    if isinstance(cause, FieldPathError):
        loc, related = cause.path, cause.related
    msg = _friendly(err)
    extra = len(exc.errors()) - 1
    if extra:
        msg += f" (and {extra} more problem{'s' if extra > 1 else ''})"
    return loc, related, msg


def _friendly(err: Mapping[str, Any]) -> str:
    kind = err["type"]
    if kind == "extra_forbidden":
        return "unknown key"
    if kind == "missing":
        return "missing required field"
    msg = str(err["msg"])
    for prefix in ("Value error, ", "Assertion failed, "):
        if msg.startswith(prefix):
            msg = msg[len(prefix) :]
    if "input" in err and kind not in ("value_error",):
        msg += f" (got {show(err['input'])})"
    return msg


def covers(prefix: str, path: str) -> bool:
    """Whether the dotted ``path`` is ``prefix`` or lies below it."""
    return path == prefix or path.startswith(prefix + ".")
