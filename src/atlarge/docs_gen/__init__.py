"""The documentation site's generated pages (``mkdocs build`` writes them; git holds none).

Each module turns one thing the code already knows into a Markdown page, so the site
cannot drift from it: the scenario schema and the shipped scenarios
(:mod:`.scenario_reference`), the command line (:mod:`.cli_reference`), the HTTP API's
OpenAPI schema (:mod:`.http_reference`) and worked questions run at build time
(:mod:`.gallery`). ``docs/gen_pages.py`` calls :func:`.pages.generated_pages` through
mkdocs-gen-files. Nothing in the simulator imports this package.
"""
