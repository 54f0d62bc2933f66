"""A server process does not load what only other commands use: each of these libraries costs every worker
megabytes it holds for as long as it runs (docs/benchmarks.md, "Memory")."""

from __future__ import annotations

import json
import subprocess
import sys

from .conftest import migrated_url

# Imported by the functions that need them, never by the app itself: migrations and backups (Alembic), the
# print packs and reports (WeasyPrint, matplotlib), the confusables package's own modules (its whole data).
NOT_IN_A_SERVER = ("alembic", "weasyprint", "matplotlib", "confusable_homoglyphs.confusables")


def test_an_app_creating_and_seating_imports_neither_migrations_nor_print_libraries(tmp_path):
    url = migrated_url(tmp_path / "f.db")
    script = f"""
import json, sys
from facilitator.app import create_app
app = create_app({{"DATABASE_URL": {url!r}}})
client = app.test_client()
assert client.get("/").status_code == 200 and client.get("/api/scenarios").status_code == 200
created = client.post("/api/exercises", json={{"deck": "demo"}}).get_json()
joined = client.post("/api/join", json={{"code": created["delegations"][0]["code"], "name": "Olena"}})
assert joined.status_code in (200, 201), joined.get_json()
print(json.dumps(sorted(m for m in sys.modules if m.split(".")[0] in {{n.split(".")[0] for n in {NOT_IN_A_SERVER!r}}})))
"""
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    loaded = set(json.loads(done.stdout.strip().splitlines()[-1]))
    assert not loaded & set(NOT_IN_A_SERVER), loaded & set(NOT_IN_A_SERVER)


def test_the_workers_collector_freezes_what_lives_on_and_sweeps_the_cycles_that_died():
    """The production worker freezes its long-lived objects so that full collections, which stop it, walk
    little; a cycle that dies while frozen is still reclaimed at the next sweep (no memory is kept for good).
    Run in a child process: freezing here would freeze the test runner's own objects."""
    script = """
import gc, threading, weakref
from facilitator import production
production.FREEZE_EVERY, production.SWEEP_EVERY = 0.05, 1e9  # no sweep until the test asks for one

class Node:
    pass

a, b = Node(), Node()
a.other, b.other = b, a  # a cycle: only the cyclic collector frees it
alive = weakref.ref(a)
stop = threading.Event()
threading.Thread(target=production._collector, args=(stop,), daemon=True).start()
import time
deadline = time.monotonic() + 5
while gc.get_freeze_count() == 0 and time.monotonic() < deadline:
    time.sleep(0.01)
frozen = gc.get_freeze_count()
del a, b
gc.collect()
kept_while_frozen = alive() is not None
production.SWEEP_EVERY = 0  # the next round sweeps
deadline = time.monotonic() + 5
while alive() is not None and time.monotonic() < deadline:
    time.sleep(0.02)
stop.set()
print(frozen > 0, kept_while_frozen, alive() is None)
"""
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["True", "True", "True"], done.stdout
