"""Adjudication in the browser: a delegation submits a free move and an adjudicated card from its consoles;
the umpire sees them queued with their age, rules with odds (the card's odds prefilled); the mover sees
the ruling and the roll; another delegation sees nothing of either."""

from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone

import pytest
from playwright.sync_api import expect

from facilitator import create_app
from facilitator.engine import AdvancePhase
from facilitator.engine.adjudication import SubmitMove
from facilitator.engine.audience import UMPIRE_ACTOR
from tests.conftest import ROOT, migrated_url
from flows import open_console, screenshot, tab, umpire_and_members

ODDS = 60  # the deck's odds for the adjudicated card below


@pytest.fixture
def app(tmp_path, monkeypatch):
    """The demo deck, with one card (Ukraine's intelligence brief to the UN) ruled by the umpire."""
    scenarios = tmp_path / "scenarios"
    scenarios.mkdir()
    demo = (ROOT / "scenarios" / "demo.yaml").read_text(encoding="utf-8")
    marked = demo.replace("  - id: ua-intel-share\n", f"  - id: ua-intel-share\n    adjudicated: {ODDS}\n", 1)
    assert marked != demo
    (scenarios / "demo.yaml").write_text(marked, encoding="utf-8")
    monkeypatch.setenv("FACILITATOR_INSTANCE", str(tmp_path / "instance"))
    app = create_app({"TESTING": True, "DATABASE_URL": migrated_url(tmp_path / "test.sqlite3"),
                      "SCENARIOS_DIR": str(scenarios), "SEEDS_DIR": str(ROOT / "seeds")})
    yield app
    app.extensions["facilitator"].db.dispose()


def test_a_free_move_is_ruled_with_a_roll_and_only_the_mover_learns_of_it(live_server, exercises, watched):
    created = exercises.create("demo")
    started = datetime.now(timezone.utc) - timedelta(minutes=5)
    exercises.execute(created.id, AdvancePhase(), UMPIRE_ACTOR, at=started)
    exercises.execute(created.id, AdvancePhase(), UMPIRE_ACTOR, at=started)
    turk, _ = exercises.join(created.join_codes["turkey"], "Selin")
    exercises.execute(created.id, SubmitMove("Turkey closes the Bosphorus to warships"), turk.actor,
                      at=started + timedelta(minutes=1, seconds=30))  # waiting 3 min by now
    base = live_server.url
    umpire, ukraine, russia = umpire_and_members(watched, base, created, ukraine="Olena", russia="Dmitri")

    # The queue, with the age of what waits; its count on the tab.
    expect(umpire.locator("#tab-adjudication .tab-badge")).to_have_text("1 waiting")
    tab(umpire, "Adjudication")
    queue = umpire.locator(".move-queue")
    expect(queue.locator(".move[data-move='1']")).to_contain_text("waiting 3 min")

    # Ukraine submits a free move.
    tab(ukraine, "Moves")
    form = ukraine.locator(".move-form")
    form.get_by_label("What your delegation does").fill("Ukraine escorts grain ships with its own navy")
    form.get_by_label("The result you intend").fill("Ships reach the Bosphorus unharmed")
    form.get_by_label("Why it should work").fill("Russia will not risk hitting a Turkish-bound convoy")
    form.get_by_role("button", name="Submit move").click()
    expect(form.get_by_label("What your delegation does")).to_have_value("")
    mine = ukraine.locator(".move[data-move='2']")
    expect(mine).to_contain_text("waiting for a ruling")
    expect(mine).to_contain_text("Ships reach the Bosphorus unharmed")

    move = queue.locator(".move[data-move='2']")
    expect(move).to_contain_text("Ukraine escorts grain ships with its own navy")
    expect(move).to_contain_text("Russia will not risk hitting")
    expect(move).to_contain_text("Submitted by Olena")
    expect(move.locator(".move-age")).to_have_text("waiting under a minute")
    expect(umpire.locator("#tab-adjudication .tab-badge")).to_have_text("2 waiting")

    # The ruling: approved, with odds and effects, which only the mover is told of.
    move.get_by_role("radio", name="Approve").check()
    move.get_by_label("Outcome").fill("The convoy sails under escort")
    move.get_by_label("Odds of success (%)").fill("70")
    move.get_by_text("Effects if it succeeds").click()
    move.get_by_label("Change to Grain leaving by sea").fill("5")
    move.get_by_label("Reason (shown with the changes").fill("escorted convoy")
    move.get_by_role("button", name="Rule on move #2").click()
    expect(queue.locator(".move[data-move='2']")).to_have_count(0)
    ruled = umpire.locator(".move-list:not(.move-queue) .move[data-move='2']")
    expect(ruled).to_contain_text("approved")
    expect(ruled).to_contain_text(re.compile(r"Roll \d+ against 70%: (success|failure)"))
    roll = re.search(r"Roll \d+ against 70%: (success|failure)", ruled.inner_text()).group(0)

    expect(mine).to_contain_text("approved")
    expect(mine).to_contain_text(roll)
    expect(mine).to_contain_text("The convoy sails under escort")
    expect(ukraine.locator(".banners > .banner")).to_contain_text("Move #2")
    umpire.set_viewport_size({"width": 1366, "height": 768})
    screenshot(ukraine, "play-moves")

    tab(russia, "Moves")
    expect(russia.locator(".move")).to_have_count(0)
    html = russia.content()
    assert "escorts grain ships" not in html and "Bosphorus" not in html and "The convoy sails" not in html


def test_an_adjudicated_card_goes_to_the_umpire_with_its_odds(live_server, exercises, watched):
    created = exercises.create("demo")
    exercises.execute(created.id, AdvancePhase(), UMPIRE_ACTOR)
    exercises.execute(created.id, AdvancePhase(), UMPIRE_ACTOR)
    base = live_server.url
    umpire, ukraine = umpire_and_members(watched, base, created, ukraine="Olena")

    tab(ukraine, "Signals")
    intel = ukraine.locator(".signal-card[data-card='ua-intel-share']")
    expect(intel).to_contain_text("ruled by the umpire")
    expect(intel.get_by_role("button", name="Play")).to_have_count(0)
    intel.get_by_label("Why it should work").fill("The UN needs to know what threatens the route")
    intel.get_by_role("button", name="Submit for adjudication: Brief the UN on Russian naval movements").click()
    expect(intel).to_have_count(0)

    tab(umpire, "Adjudication")
    move = umpire.locator(".move-queue .move[data-move='1']")
    expect(move).to_contain_text("Brief the UN on Russian naval movements (card)")
    expect(move.get_by_label("Odds of success (%)")).to_have_value(str(ODDS))
    move.get_by_role("radio", name="Modify").check()
    move.get_by_role("button", name="Rule on move #1").click()
    expect(move.locator(".form-error")).to_contain_text("Say how the move is modified")
    move.get_by_label("Outcome").fill("The UN hears it, but asks for proof")
    move.get_by_label("Turkey", exact=True).first.check()  # also tell Turkey
    umpire.locator(".adjudication").evaluate("(el) => el.scrollIntoView()")
    screenshot(umpire, "umpire-adjudication")
    move.get_by_role("button", name="Rule on move #1").click()
    ruled = umpire.locator(".move-list:not(.move-queue) .move[data-move='1']")
    expect(ruled).to_contain_text("modified")
    expect(ruled).to_contain_text(f"against {ODDS}%")

    tab(ukraine, "Moves")
    expect(ukraine.locator(".move[data-move='1']")).to_contain_text("The UN hears it, but asks for proof")
    expect(ukraine.locator(".move[data-move='1']")).to_contain_text("Brief the UN on Russian naval movements (card)")


def test_a_submitted_card_keeps_its_title_and_odds_after_a_reload(live_server, exercises, watched):
    """The queue names a card and its odds from the move itself (the server sends them), not from a hand this
    page happened to see: after a reload, and on a console opened later, too."""
    created = exercises.create("demo")
    exercises.execute(created.id, AdvancePhase(), UMPIRE_ACTOR)
    exercises.execute(created.id, AdvancePhase(), UMPIRE_ACTOR)
    base = live_server.url
    umpire, ukraine = umpire_and_members(watched, base, created, ukraine="Olena")
    tab(ukraine, "Signals")
    intel = ukraine.locator(".signal-card[data-card='ua-intel-share']")
    intel.get_by_role("button", name="Submit for adjudication: Brief the UN on Russian naval movements").click()
    expect(intel).to_have_count(0)
    expect(umpire.locator("#tab-adjudication .tab-badge")).to_have_text("1 waiting")

    later = watched.page(label="second umpire console")  # never saw the card in a hand
    for page in (umpire, later):
        if page is umpire:
            page.reload()
            expect(page.get_by_test_id("connection")).to_have_attribute("data-status", "live")
        else:
            open_console(page, f"{base}/umpire#token={created.umpire_token}")
        tab(page, "Adjudication")
        move = page.locator(".move-queue .move[data-move='1']")
        expect(move).to_contain_text("Brief the UN on Russian naval movements (card)")
        expect(move).not_to_contain_text("card ua-intel-share")
        expect(move).to_contain_text(f"The card’s odds: {ODDS}%")
        expect(move.get_by_label("Odds of success (%)")).to_have_value(str(ODDS))

    ukraine.reload()
    expect(ukraine.get_by_test_id("connection")).to_have_attribute("data-status", "live")
    tab(ukraine, "Moves")
    expect(ukraine.locator(".move[data-move='1']")).to_contain_text("Brief the UN on Russian naval movements (card)")
