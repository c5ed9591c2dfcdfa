"""Small helpers for writing Markdown that MkDocs renders as written."""

from __future__ import annotations

from collections.abc import Iterable, Sequence


def text(value: object) -> str:
    """Free text for a Markdown paragraph or cell: ``<`` and ``>`` escaped (so a bound
    such as ``x<=5`` or a placeholder never reads as an HTML tag), one line."""
    s = str(value).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return " ".join(s.split())


def cell(value: object) -> str:
    """Text for a table cell: as :func:`text`, with ``|`` escaped."""
    return text(value).replace("|", "\\|")


def code(value: object) -> str:
    """Inline code; a backtick inside is fenced by two."""
    s = str(value)
    return f"`` {s} ``" if "`" in s else f"`{s}`"


def table(header: Sequence[str], rows: Iterable[Sequence[str]]) -> str:
    """A pipe table; cells are written as given (escape them with :func:`cell`)."""
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    return "\n".join(lines) + "\n"


def anchor(path: str) -> str:
    """A stable HTML id for a dotted path (``detention.beds`` -> ``detention-beds``)."""
    keep = "".join(c if c.isalnum() else "-" for c in path.lower())
    return "-".join(filter(None, keep.split("-")))
