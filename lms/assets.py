"""The built front-end assets: static/dist/manifest.json maps the names templates use to fingerprinted files.

`make assets` (npm ci + static/src/build.mjs) writes static/dist and the manifest; both are committed, so
running and testing the app needs only Python. The manifest is read once per process.
"""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path

from flask import current_app, url_for

DIST = "dist"


@cache
def _manifest(static_folder: str) -> dict:
    return json.loads((Path(static_folder) / DIST / "manifest.json").read_text(encoding="utf-8"))


def _entry(name: str) -> dict:
    try:
        return _manifest(current_app.static_folder)["files"][name]
    except KeyError:
        raise KeyError(f"{name} is not in static/dist/manifest.json: add it to static/src/build.mjs and run make assets")


def asset_url(name: str) -> str:
    """The URL of a built asset by its logical name ('app.css', 'vendor/sortable.min.js')."""
    return url_for("static", filename=f"{DIST}/{_entry(name)['path']}")


def asset_integrity(name: str) -> str:
    """The Subresource Integrity hash of a built asset, for <script integrity=...> and <link integrity=...>."""
    return _entry(name)["integrity"]


def init_app(app) -> None:
    app.jinja_env.globals.update(asset_url=asset_url, asset_integrity=asset_integrity)
    default_max_age = app.get_send_file_max_age

    def max_age(filename):
        # Fingerprinted files never change under their name: browsers may keep them for a year.
        if filename and filename.startswith(f"{DIST}/") and filename != f"{DIST}/manifest.json":
            return 365 * 24 * 3600
        return default_max_age(filename)

    app.get_send_file_max_age = max_age
