"""Run by mkdocs-gen-files at every build: writes the generated pages into the build
(never into git). See src/atlarge/docs_gen/."""

import logging
import shutil
from pathlib import Path

import mkdocs_gen_files

from atlarge.docs_gen.pages import PLOTLY_JS, PLOTLY_PAGE_PATH, generated_pages

ROOT = Path(__file__).resolve().parents[1] if "__file__" in globals() else Path.cwd()
log = logging.getLogger("mkdocs.plugins.atlarge")

for path, text in generated_pages(ROOT, log=log.info).items():
    with mkdocs_gen_files.open(path, "w") as f:
        f.write(text)
with mkdocs_gen_files.open(PLOTLY_PAGE_PATH, "wb") as f, PLOTLY_JS.open("rb") as src:
    shutil.copyfileobj(src, f)
