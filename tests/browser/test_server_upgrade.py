"""A page open while the server is upgraded: when it reconnects, the server's `sync` says it serves another
build of the page, and the page reloads itself (once), so it never runs an old client against a new server;
while something is being typed it asks first, with a notice and a Reload button, rather than lose the text."""

from __future__ import annotations

from playwright.sync_api import expect

from facilitator.engine import AdvancePhase, PostMessage
from facilitator.engine.audience import UMPIRE_ACTOR
from flows import join

NEW_BUILD = "0123456789abcdef"


def page_build(page) -> str:
    return page.evaluate("document.querySelector('meta[name=\"facilitator-build\"]').content")


def upgrade_and_reconnect(app, exercise_id: str, build: str) -> None:
    """What an upgrade looks like to an open page: the server serves another build, and its connection drops."""
    app.extensions["client_build"] = build
    app.extensions["facilitator_broadcaster"].close_exercise(exercise_id)


def test_a_page_open_across_an_upgrade_reloads_itself_once_it_reconnects(live_server, app, exercises, watched):
    created = exercises.create("demo")
    exercises.execute(created.id, AdvancePhase(), UMPIRE_ACTOR)
    page = watched.page(label="ukraine")
    join(page, f"{live_server.url}/join#code={created.join_codes['ukraine']}", "Olena")
    assert page_build(page) == app.extensions["client_build"] != ""
    page.evaluate("window.loadedBeforeTheUpgrade = true")

    upgrade_and_reconnect(app, created.id, NEW_BUILD)
    expect(page.locator('meta[name="facilitator-build"]')).to_have_attribute("content", NEW_BUILD, timeout=15_000)
    expect(page.get_by_test_id("connection")).to_have_attribute("data-status", "live")
    assert page.evaluate("window.loadedBeforeTheUpgrade") is None  # a fresh page
    exercises.execute(created.id, PostMessage("plenary", "After the upgrade"), UMPIRE_ACTOR)
    expect(page.get_by_text("After the upgrade")).to_be_visible()  # and it plays on, reloaded only once
    assert page.evaluate("performance.getEntriesByType('navigation')[0].type") == "reload"


def test_a_page_where_something_is_being_typed_asks_before_it_reloads(live_server, app, exercises, watched):
    created = exercises.create("demo")
    exercises.execute(created.id, AdvancePhase(), UMPIRE_ACTOR)
    page = watched.page(label="ukraine")
    join(page, f"{live_server.url}/join#code={created.join_codes['ukraine']}", "Olena")
    box = page.get_by_label("Message to Plenary")
    box.fill("A draft the upgrade must not lose")
    page.evaluate("window.loadedBeforeTheUpgrade = true")

    upgrade_and_reconnect(app, created.id, NEW_BUILD)
    notice = page.get_by_role("alert").filter(has_text="The server was updated")
    expect(notice).to_be_visible(timeout=15_000)
    expect(page.get_by_test_id("connection")).to_have_attribute("data-status", "live")
    assert page.evaluate("window.loadedBeforeTheUpgrade") is True and box.input_value().startswith("A draft")
    notice.get_by_role("button", name="Reload").click()
    expect(page.locator('meta[name="facilitator-build"]')).to_have_attribute("content", NEW_BUILD)
    expect(page.get_by_test_id("connection")).to_have_attribute("data-status", "live")
    assert page.evaluate("window.loadedBeforeTheUpgrade") is None
