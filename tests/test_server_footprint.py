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
