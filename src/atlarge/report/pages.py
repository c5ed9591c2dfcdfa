"""How every page atlarge writes is made: Jinja2 templates shipped inside the package.

One environment for the report, the backtest page and the sensitivity page, so they share
one layout (``templates/base.html``) and one stylesheet, and so escaping is decided once:
autoescaping is on for every template, and a value reaches a page unescaped only where a
template marks it ``|safe`` and says why. Undefined names raise instead of printing
nothing, so a renamed field fails a test rather than leaving a blank cell.
"""

from __future__ import annotations

from functools import cache
from typing import Any

import jinja2
import plotly.offline

from atlarge._version import __version__
from atlarge.report.format import plural

TEMPLATES = "templates"
"""The folder, inside ``atlarge.report``, that holds the templates and the stylesheet."""


@cache
def environment() -> jinja2.Environment:
    """The Jinja2 environment of atlarge's pages, loading templates as package data."""
    env = jinja2.Environment(
        loader=jinja2.PackageLoader("atlarge.report", TEMPLATES),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    env.globals["plural"] = plural
    return env


def render_page(template: str, **context: Any) -> str:
    """One page as an HTML string, with Plotly's JavaScript inlined so it opens offline.
    ``version`` defaults to the running atlarge's; a page about a document passes the
    version that wrote the document."""
    context.setdefault("version", __version__)
    page = environment().get_template(template)
    return page.render(plotly_js=plotly.offline.get_plotlyjs(), **context)
