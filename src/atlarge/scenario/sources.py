"""Where a number comes from: a source as data, and the one way it is shown.

A parameter's source names who published the figure, in which document, when,
where it can be read and how far it can be trusted, so that a reader (or a
test) can check each part instead of parsing prose. In TOML:

    source = { publisher = "ICE", title = "FY2024 Annual Report", date = "2024-12-19",
               url = "https://ice.gov/...", confidence = "High", note = "113,431 arrests" }

A plain string is still accepted, for users' own files, and read as the note.
The shipped scenarios use the structured form (tests/test_provenance.py).

``format_source`` lives here, beside the data it formats, because both the
summary (analysis/) and the report read it and analysis/ may not import
report/ (../shared/DESIGN.md).
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, Literal, get_args

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, model_validator

Confidence = Literal["High", "Medium-high", "Medium", "Low", "From memory", "Definition", "Fitted"]
"""How far a source can be trusted: the grades of ../shared/data/public-figures.csv
(High, Medium-high, Medium, Low, and "From memory" for its unverified figures),
plus "Definition" (true by how the model or the scenario is defined, not measured)
and "Fitted" (estimated by ``atlarge calibrate``; its fit statistic says how well)."""
CONFIDENCE: tuple[str, ...] = get_args(Confidence)


def _date_text(v: Any) -> Any:
    """A TOML date (``2024-12-19``) is kept as its ISO text; a period stays text ("FY2024")."""
    if isinstance(v, dt.datetime):
        raise ValueError("a source date is a date (YYYY-MM-DD) or a period, not a date-time")
    return v.isoformat() if isinstance(v, dt.date) else v


Text = Annotated[str, Field(min_length=1)]


class Source(BaseModel):
    """Who published a figure, in which document, when, where, how trusted, and a note.

    ``was`` is written by atlarge, not by hand: when a change sets a value
    (``Scenario.with_values``), the new source's note says who set it and the
    value it replaced, and ``was`` keeps the replaced value's source whole.
    """

    model_config = ConfigDict(extra="forbid", frozen=True, strict=True)

    publisher: Text | None = Field(default=None, description="Who published it: 'ICE', 'TRAC'.")
    title: Text | None = Field(default=None, description="The document: 'FY2024 Annual Report'.")
    date: Annotated[Text | None, BeforeValidator(_date_text)] = Field(
        default=None, description="Publication date (YYYY-MM-DD) or the period: 'June 2025'."
    )
    url: Annotated[str, Field(pattern=r"^https?://\S+$")] | None = Field(
        default=None, description="Where the document can be read, when it is public."
    )
    confidence: Confidence | None = Field(default=None, description="One of CONFIDENCE.")
    note: Text | None = Field(default=None, description="Anything else: figures quoted, caveats.")
    was: Source | None = Field(default=None, description="The source a change replaced.")

    @model_validator(mode="after")
    def _says_something(self) -> Source:
        if not any((self.publisher, self.title, self.date, self.url, self.confidence, self.note)):
            raise ValueError("a source needs at least a publisher, a title or a note")
        for name in ("publisher", "title", "date", "note"):
            text = getattr(self, name)
            if text is not None and not text.strip():
                raise ValueError(f"source {name} is blank")
        return self


def confidence_of(grade: str) -> Confidence | None:
    """The grade a confidence text of the shared sheet starts with ("Medium (research
    group ...)" is Medium; "FROM MEMORY, UNVERIFIED" is From memory), or None."""
    text = grade.strip().lower()
    for level in sorted(CONFIDENCE, key=len, reverse=True):  # Medium-high before Medium
        if text.startswith(level.lower()):
            return level  # type: ignore[return-value]
    return None


def read_source(v: Any) -> Any:
    """A plain string is the note of a source (users' files); anything else is validated
    as a source table."""
    if isinstance(v, str):
        if not v.strip():
            raise ValueError("source is empty")
        return {"note": v}
    return v


SourceField = Annotated[Source, BeforeValidator(read_source)]


def format_source(source: Source | None) -> str:
    """A source as people read it, the same in summary.json, the report and the page:
    'ICE, FY2024 Annual Report (2024-12-19; High confidence) https://...: note'."""
    if source is None:
        return ""
    head = ", ".join(x for x in (source.publisher, source.title) if x)
    when = "; ".join(
        x for x in (source.date, source.confidence and f"{source.confidence} confidence") if x
    )
    text = " ".join(x for x in (head, when and f"({when})", source.url) if x)
    note = source.note or ""
    if source.was is not None:
        note = f"{note}; before: {format_source(source.was)}"
    return f"{text}: {note}" if text and note else text or note


__all__ = ["CONFIDENCE", "Source", "SourceField", "confidence_of", "format_source", "read_source"]
