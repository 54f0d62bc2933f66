"""The engine depends on nothing but the standard library.

Two checks: every ``import`` written in ``facilitator/engine`` names a
standard-library module (or a sibling inside the engine), and importing the
engine in a fresh interpreter loads none of the application's frameworks.
"""

from __future__ import annotations

import ast
import json
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
ENGINE = ROOT / "facilitator" / "engine"
ENGINE_FILES = sorted(ENGINE.glob("*.py"))
FRAMEWORKS = ("flask", "flask_socketio", "socketio", "engineio", "sqlalchemy", "alembic", "marshmallow", "yaml")


def outside_imports(path: Path) -> list[str]:
    """Each import in ``path`` that is neither standard library nor a sibling module of the engine."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
        if isinstance(node, ast.Import):
            found += [f"line {node.lineno}: import {a.name}" for a in node.names
                      if a.name.partition(".")[0] not in sys.stdlib_module_names]
        elif isinstance(node, ast.ImportFrom):
            if node.level == 0 and (node.module or "").partition(".")[0] not in sys.stdlib_module_names:
                found.append(f"line {node.lineno}: from {node.module} import ...")
            elif node.level > 1:  # '..' leaves the engine for the rest of the application
                found.append(f"line {node.lineno}: from {'.' * node.level}{node.module or ''} import ...")
        elif isinstance(node, ast.Call):
            name = getattr(node.func, "id", None) or getattr(node.func, "attr", None)
            if name in ("__import__", "import_module"):
                found.append(f"line {node.lineno}: dynamic import")
    return found


def test_the_engine_has_modules_to_check():
    assert {p.name for p in ENGINE_FILES} >= {"__init__.py", "rules.py", "state.py", "view.py"}


@pytest.mark.parametrize("path", ENGINE_FILES, ids=lambda p: p.name)
def test_engine_module_imports_only_the_standard_library(path):
    assert outside_imports(path) == []


def test_the_import_check_catches_an_outside_import(tmp_path):
    sample = tmp_path / "sample.py"
    sample.write_text("import json\nfrom . import state\nimport yaml\nfrom flask import Flask\n"
                      "from ..decks import load_deck\nimport importlib\nimportlib.import_module('sqlalchemy')\n")
    assert outside_imports(sample) == ["line 3: import yaml", "line 4: from flask import ...",
                                       "line 5: from ..decks import ...", "line 7: dynamic import"]


def test_importing_the_engine_loads_no_framework():
    script = textwrap.dedent("""
        import json, sys
        before = set(sys.modules)
        import facilitator.engine
        from facilitator.engine import decide, evolve, initial_state, replay, view_state
        print(json.dumps(sorted(set(sys.modules) - before)))
    """)
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, cwd=ROOT, timeout=60,
                            check=False)
    assert result.returncode == 0, result.stderr
    added = json.loads(result.stdout)
    assert "facilitator.engine.rules" in added
    assert [m for m in added if m.partition(".")[0] in FRAMEWORKS] == []
    outside = [m for m in added if m.partition(".")[0] not in sys.stdlib_module_names
               and m != "facilitator" and not m.startswith("facilitator.engine")]
    assert outside == []
