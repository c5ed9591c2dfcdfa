"""How a detention path ends, by name.

A path's outcome decides where its counts go when they finish their delay:
the removal queue, release, or departure. Code compares with these names,
never with a position in a list, so adding an outcome cannot silently shift
which one is meant. The values are the strings a scenario writes as
``dispositions.<path>.outcome``.
"""

from __future__ import annotations

from enum import StrEnum


class Outcome(StrEnum):
    """The end of a detention path (equal to its scenario string)."""

    REMOVAL = "removal"
    """Counts wait in the removal queue, still holding a bed, until a seat is free."""
    RELEASE = "release"
    """Counts leave detention as releases (and may enrol in alternatives to detention)."""
    DEPARTURE = "departure"
    """Counts leave detention by another route (voluntary departure and the like)."""
