"""The committed front-end build (static/dist) matches its sources, and pages load it with SRI hashes."""

from __future__ import annotations

import base64
import hashlib
import json
import re

from tests.conftest import REPO

DIST = REPO / "static" / "dist"


def manifest() -> dict:
    return json.loads((DIST / "manifest.json").read_text(encoding="utf-8"))


def current_sources() -> dict[str, str]:
    files = [REPO / "package-lock.json", *sorted(p for p in (REPO / "static" / "src").rglob("*") if p.is_file())]
    return {p.relative_to(REPO).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest() for p in files}


def test_the_committed_build_is_not_stale():
    recorded = manifest()["sources"]
    changed = sorted(name for name in recorded.keys() | current_sources().keys()
                     if recorded.get(name) != current_sources().get(name))
    assert not changed, f"static/dist is stale against {', '.join(changed)}: run `make assets` and commit static/dist"


def test_every_built_file_exists_with_its_hash_and_nothing_else_is_left_over():
    files = manifest()["files"]
    for entry in files.values():
        data = (DIST / entry["path"]).read_bytes()
        assert hashlib.sha256(data).hexdigest()[:10] in entry["path"]
        assert entry["integrity"] == "sha384-" + base64.b64encode(hashlib.sha384(data).digest()).decode()
    built = {p.relative_to(DIST).as_posix() for p in DIST.rglob("*") if p.is_file()}
    extra = built - {entry["path"] for entry in files.values()} - {"manifest.json"}
    assert all(name.startswith("licenses/") for name in extra), sorted(extra)


def test_fonts_are_self_hosted_woff2_in_the_build():
    fonts = (DIST / manifest()["files"]["fonts.css"]["path"]).read_text(encoding="utf-8")
    urls = re.findall(r"url\(([^)]+)\)", fonts)
    assert urls and all(url.startswith("fonts/") and url.endswith(".woff2") for url in urls)
    assert all((DIST / url).is_file() for url in urls)
    assert "font-family: 'Noto Sans JP'" in fonts


def test_pages_load_the_fingerprinted_build_with_integrity_and_it_is_cached_long(client):
    html = client.get("/auth/login").get_data(as_text=True)
    for name in ("fonts.css", "app.css", "app.js"):
        entry = manifest()["files"][name]
        assert f'/static/dist/{entry["path"]}" integrity="{entry["integrity"]}"' in html
    response = client.get(f'/static/dist/{manifest()["files"]["app.css"]["path"]}')
    assert response.status_code == 200 and response.cache_control.max_age == 365 * 24 * 3600
    response.close()
