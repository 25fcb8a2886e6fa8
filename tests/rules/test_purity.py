"""lms/rules/ holds pure rules: no Flask, no Babel, no database, nothing of the app's extensions.

Each module is imported in a fresh interpreter without running ``lms/__init__.py`` (which imports Flask to build
the app), so everything the module pulls in, directly or through other modules, is counted.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

RULES = Path(__file__).resolve().parents[2] / "lms" / "rules"
FORBIDDEN = ("flask", "flask_babel", "flask_login", "flask_sqlalchemy", "flask_wtf", "sqlalchemy", "babel",
             "jinja2", "werkzeug", "lms.extensions", "lms.models", "lms.i18n")

PROBE = """
import importlib, json, sys, types
package = types.ModuleType("lms")
package.__path__ = [sys.argv[1]]
sys.modules["lms"] = package
importlib.import_module(sys.argv[2])
print(json.dumps(sorted(sys.modules)))
"""


def rule_modules() -> list[str]:
    return ["lms.rules"] + [f"lms.rules.{p.stem}" for p in sorted(RULES.glob("*.py")) if p.stem != "__init__"]


def test_every_rules_module_is_listed():
    assert len(rule_modules()) >= 7  # __init__, completion, grading, progress, reports, review, uploads


@pytest.mark.parametrize("module", rule_modules())
def test_rules_import_no_framework_database_or_translations(module):
    found = subprocess.run([sys.executable, "-c", PROBE, str(RULES.parent), module],
                           capture_output=True, text=True, check=True)
    loaded = json.loads(found.stdout)
    bad = sorted(name for name in loaded if any(name == f or name.startswith(f + ".") for f in FORBIDDEN))
    assert not bad, f"{module} imports {bad}: rules stay pure (move presentation to lms/presenters.py)"
