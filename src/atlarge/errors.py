"""Errors users can act on: bad scenario files, bad parameters, bad output folders.

Errors raised below the command line and the HTTP API name *parameters* as the
Python functions call them (``reps``, ``uncertainty_inner``, ``out_dir``,
``db``), never a command-line flag or a JSON field: a notebook user never reads
about ``--reps``. A message mentions another parameter as ```name```
(backquoted); each front end shows those names its own way with
:meth:`OptionError.render` (the CLI as its flags, the API as its JSON fields).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from pathlib import Path

MENTION = re.compile(r"`([a-z][a-z0-9_]*)`")
"""How a message names a parameter: ```reps```."""


class AtlargeInputError(Exception):
    """Bad input from the user; the CLI prints it and exits with code 2."""


class ScenarioError(AtlargeInputError):
    """A problem in a scenario: which file, which field path, what is wrong."""

    def __init__(self, file: Path | str, path: str, message: str) -> None:
        self.file = str(file)
        self.path = path
        self.message = message
        where = f"{self.file}: {path}" if path else self.file
        super().__init__(f"{where}: {message}")


def render_names(text: str, names: Mapping[str, str] | None = None) -> str:
    """``text`` with each ```parameter``` shown as ``names`` says (a front end's own name
    for it: a flag, a JSON field), else as the parameter's own name."""
    names = names or {}
    return MENTION.sub(lambda m: names.get(m[1], m[1]), text)


class OptionError(AtlargeInputError):
    """A bad value for a parameter of a call (``reps=0``, an unusable ``out_dir``).

    ``parameter`` is the parameter's Python name; ``message`` may mention other
    parameters as ```name``` (see :func:`render_names`).
    """

    def __init__(self, parameter: str, message: str) -> None:
        self.parameter = parameter
        self.message = message
        super().__init__(parameter, message)

    def render(self, names: Mapping[str, str] | None = None) -> str:
        """The message, each parameter it mentions named as ``names`` says."""
        return render_names(self.message, names)

    def __str__(self) -> str:
        return f"{self.parameter}: {self.render()}"


class AtlargeWarning(UserWarning):
    """Something the user should know that does not stop the work (a store in use, a
    file kept aside); the CLI prints it as one ``warning:`` line (parameters it
    mentions as ```name``` named as the CLI's flags)."""


def why_not_a_file(path: Path) -> str:
    """Why ``path`` (which is not a regular file) cannot be read as one, in a few words."""
    if path.is_dir():
        return "is a folder"
    if not path.exists():
        return "does not exist"
    return "is not a regular file (a device, pipe or socket)"
