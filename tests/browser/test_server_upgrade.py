"""A page open while the server is upgraded: when it reconnects, the server's `sync` says it serves another
build of the page, and the page reloads itself (once for each change of build); while the person has changed a
field it asks first, with a notice and a Reload button, rather than lose what they typed, and so it does when a
reload for that change did not help (a process of the old version answered again)."""

from __future__ import annotations

from playwright.sync_api import expect

from facilitator.engine import AdvancePhase, PostMessage
from facilitator.engine.audience import UMPIRE_ACTOR
from flows import join, open_console

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


def test_the_umpire_console_reloads_itself_though_it_fills_in_fields_of_its_own(live_server, app, exercises,
                                                                                   watched):
    """The console puts a default reason in a field ("umpire adjustment"): nobody typed it, nothing to lose."""
    created = exercises.create("demo")
    umpire = watched.page(label="umpire")
    open_console(umpire, f"{live_server.url}/umpire#token={created.umpire_token}")
    umpire.evaluate("window.loadedBeforeTheUpgrade = true")
    upgrade_and_reconnect(app, created.id, NEW_BUILD)
    expect(umpire.locator('meta[name="facilitator-build"]')).to_have_attribute("content", NEW_BUILD, timeout=15_000)
    expect(umpire.get_by_test_id("connection")).to_have_attribute("data-status", "live")
    assert umpire.evaluate("window.loadedBeforeTheUpgrade") is None


def test_a_page_that_reloaded_for_a_change_and_meets_it_again_asks_instead_of_looping(live_server, app, exercises,
                                                                                       watched):
    """Two processes of two versions behind one proxy, or a rollback and the same upgrade again: the page
    reloads once for a change of build; meeting the same change again, it shows the notice and plays on."""
    created = exercises.create("demo")
    exercises.execute(created.id, AdvancePhase(), UMPIRE_ACTOR)
    page = watched.page(label="ukraine")
    join(page, f"{live_server.url}/join#code={created.join_codes['ukraine']}", "Olena")
    old = app.extensions["client_build"]
    upgrade_and_reconnect(app, created.id, NEW_BUILD)  # reloads into the new build
    expect(page.locator('meta[name="facilitator-build"]')).to_have_attribute("content", NEW_BUILD, timeout=15_000)
    expect(page.get_by_test_id("connection")).to_have_attribute("data-status", "live")
    upgrade_and_reconnect(app, created.id, old)  # an old process answers: reloads back into the old build
    expect(page.locator('meta[name="facilitator-build"]')).to_have_attribute("content", old, timeout=15_000)
    expect(page.get_by_test_id("connection")).to_have_attribute("data-status", "live")
    page.evaluate("window.stillTheSamePage = true")
    upgrade_and_reconnect(app, created.id, NEW_BUILD)  # the same change again: no second reload, a notice
    expect(page.get_by_role("alert").filter(has_text="The server was updated")).to_be_visible(timeout=15_000)
    expect(page.get_by_test_id("connection")).to_have_attribute("data-status", "live")
    assert page.evaluate("window.stillTheSamePage") is True
