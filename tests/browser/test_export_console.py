"""The umpire console's Export card: the whole log as JSON Lines (importable), as CSV, and as pseudonymised CSV,
downloaded with the console's token (docs/exports.md)."""

from __future__ import annotations

import json

from facilitator.engine import AdvancePhase, PostMessage
from facilitator.engine.audience import UMPIRE_ACTOR
from flows import open_console


def test_the_umpire_downloads_the_log_as_json_lines_csv_and_pseudonymised_csv(live_server, exercises, watched):
    created = exercises.create("demo")
    olena, _ = exercises.join(created.join_codes["ukraine"], "Olena Kovalenko")
    exercises.execute(created.id, AdvancePhase(), UMPIRE_ACTOR)
    exercises.execute(created.id, PostMessage("plenary", "=1+1 says Olena Kovalenko"), olena.actor)
    umpire = watched.page(label="umpire")
    open_console(umpire, f"{live_server.url}/umpire#token={created.umpire_token}")
    card = umpire.locator("section.card", has=umpire.get_by_role("heading", name="Export"))

    with umpire.expect_download() as download:
        card.get_by_role("button", name="JSON Lines").click()
    assert download.value.suggested_filename == f"demo-a-corridor-for-grain-{created.id}.jsonl"
    lines = download.value.path().read_text(encoding="utf-8").splitlines()
    assert json.loads(lines[0])["importable"] is True and len(lines) == 1 + exercises.state(created.id).seq

    with umpire.expect_download() as download:
        card.get_by_role("button", name="CSV", exact=True).click()
    assert download.value.suggested_filename == f"demo-a-corridor-for-grain-{created.id}.csv"
    table = download.value.path().read_bytes()
    assert table.startswith(b"\xef\xbb\xbfseq,") and b"'=1+1 says Olena Kovalenko" in table

    with umpire.expect_download() as download:
        card.get_by_role("button", name="CSV, pseudonymised").click()
    assert download.value.suggested_filename == f"demo-a-corridor-for-grain-{created.id}-pseudonymised.csv"
    table = download.value.path().read_text(encoding="utf-8-sig")
    assert "Olena" not in table and "'=1+1 says Ukraine-1" in table
