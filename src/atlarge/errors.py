"""Errors users can act on: bad scenario files, bad flags, bad output folders."""

from __future__ import annotations

from pathlib import Path


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


class OptionError(AtlargeInputError):
    """A bad command-line option (``--reps 0``, an unusable ``--out``)."""

    def __init__(self, option: str, message: str) -> None:
        self.option = option
        self.message = message
        super().__init__(f"{option}: {message}")


class AtlargeWarning(UserWarning):
    """Something the user should know that does not stop the work (a store in use, a
    file kept aside); the CLI prints it as one ``warning:`` line."""


def why_not_a_file(path: Path) -> str:
    """Why ``path`` (which is not a regular file) cannot be read as one, in a few words."""
    if path.is_dir():
        return "is a folder"
    if not path.exists():
        return "does not exist"
    return "is not a regular file (a device, pipe or socket)"
