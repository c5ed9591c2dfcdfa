"""HTTP API (FastAPI) for atlarge; thin: parse, call the layers below, serve."""

from atlarge.api.app import ApiSettings, create_app

__all__ = ["ApiSettings", "create_app"]
