"""The explorer page on a server that needs an access token (``serve --host`` beyond
loopback): opened as ``/#token=TOKEN`` it works, downloads included; without the
token it says what is needed. Same Chromium set-up as tests/test_browser.py."""

from __future__ import annotations

from pathlib import Path

import pytest

from atlarge.api import ApiSettings
from tests.conftest import SCENARIOS
from tests.test_browser import browser, serving  # noqa: F401 - the shared Chromium fixture

TOKEN = "browser-token-0123456789abcdef"


@pytest.fixture(scope="module")
def token_server():
    with serving(ApiSettings(scenarios_dir=SCENARIOS, max_jobs=2, token=TOKEN)) as url:
        yield url


def test_the_page_works_with_the_token_from_its_url(browser, token_server):  # noqa: F811
    context = browser.new_context(viewport={"width": 1400, "height": 1000}, accept_downloads=True)
    pg = context.new_page()
    errors: list[str] = []
    pg.on("pageerror", lambda exc: errors.append(str(exc)))
    pg.goto(f"{token_server}/#token={TOKEN}")
    pg.wait_for_selector("body[data-ready=true]", timeout=30_000)
    assert pg.evaluate("location.hash") == ""  # the token leaves the address bar
    assert pg.locator("#scenario option").count() >= 3
    pg.fill("#reps", "4")
    pg.fill("#days", "20")
    pg.click("#run-button")
    link = pg.locator("a[download][href$='/summary']").first
    link.wait_for(timeout=120_000)
    with pg.expect_download(timeout=30_000) as download:
        link.click()
    path = download.value.path()
    assert path is not None and b'"kpis"' in Path(path).read_bytes()
    pg.reload()  # the token is kept for this tab
    pg.wait_for_selector("body[data-ready=true]", timeout=30_000)
    assert errors == []
    context.close()


def test_without_the_token_the_page_says_what_is_needed(browser, token_server):  # noqa: F811
    context = browser.new_context()
    pg = context.new_page()
    pg.goto(token_server + "/")
    pg.wait_for_function("document.body.innerText.includes('access token')", timeout=30_000)
    context.close()
