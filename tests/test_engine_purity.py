"""The engine depends on nothing but the standard library, and never reads the wall clock.

Three checks: every ``import`` written in ``facilitator/engine`` names a
standard-library module (or a sibling inside the engine), importing the
engine in a fresh interpreter loads none of the application's frameworks,
and no engine module calls a clock (``now`` is always passed in).
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


CLOCKS = ("now", "utcnow", "today", "time", "monotonic", "perf_counter", "time_ns")


def clock_reads(path: Path) -> list[str]:
    """Each call in ``path`` that reads a clock (``datetime.now()``, ``time.time()`` …)."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr in CLOCKS:
            owner = node.func.value
            if isinstance(owner, ast.Name) and owner.id in ("datetime", "date", "time"):
                found.append(f"line {node.lineno}: {owner.id}.{node.func.attr}()")
    return found


def test_the_engine_has_modules_to_check():
    assert {p.name for p in ENGINE_FILES} >= {"__init__.py", "core.py", "state.py", "visibility.py", "signals.py",
                                              "proposals.py", "clock.py"}


@pytest.mark.parametrize("path", ENGINE_FILES, ids=lambda p: p.name)
def test_engine_module_never_reads_the_clock(path):
    assert clock_reads(path) == []


def test_the_clock_check_catches_a_clock_read(tmp_path):
    sample = tmp_path / "sample.py"
    sample.write_text("from datetime import datetime\nimport time\nx = datetime.now()\ny = time.time()\n"
                      "z = event.now\n")
    assert clock_reads(sample) == ["line 3: datetime.now()", "line 4: time.time()"]


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
        from facilitator.engine import decide, evolve, initial_state, replay, run, view_state
        print(json.dumps(sorted(set(sys.modules) - before)))
    """)
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, cwd=ROOT, timeout=60,
                            check=False)
    assert result.returncode == 0, result.stderr
    added = json.loads(result.stdout)
    assert {"facilitator.engine.signals", "facilitator.engine.visibility"} <= set(added)
    assert [m for m in added if m.partition(".")[0] in FRAMEWORKS] == []
    outside = [m for m in added if m.partition(".")[0] not in sys.stdlib_module_names
               and m != "facilitator" and not m.startswith("facilitator.engine")]
    assert outside == []
