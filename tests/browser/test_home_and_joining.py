"""The home page on a server reachable by the room (the instructor key), what it keeps of created
exercises on a shared computer, and the umpire letting people join after the end."""

from __future__ import annotations

from playwright.sync_api import expect

from facilitator.engine import EndExercise
from facilitator.engine.audience import UMPIRE_ACTOR
from flows import PHONE, join, open_console, screenshot, tab

KEY = "ABCD-EFGH-JKMN"


def test_creating_asks_for_the_instructor_key_when_the_server_has_one(app, live_server, watched):
    app.config["INSTRUCTOR_KEY"] = KEY
    watched.allow("status of 403")  # the server's answer to a missing key, shown on the form
    page = watched.page(label="home")
    page.goto(live_server.url + "/")
    key = page.get_by_label("Instructor key")
    expect(key).to_be_visible()
    card = page.locator(".scenario[data-deck='demo']")
    expect(card).to_be_visible()
    screenshot(page, "home-instructor-key")
    card.get_by_role("button", name="Create exercise").click()
    expect(card.locator(".form-error")).to_contain_text("instructor key")
    key.fill(KEY.lower())
    card.get_by_role("button", name="Create exercise").click()
    expect(page.get_by_test_id("created")).to_be_visible()
    page.reload()
    expect(page.get_by_label("Instructor key")).to_have_value(KEY.lower())  # for this tab's next exercise
    page.get_by_test_id("forget-all").click()  # a shared computer: nothing stays behind
    expect(page.get_by_label("Instructor key")).to_have_value("")
    page.reload()
    expect(page.get_by_label("Instructor key")).to_have_value("")


def test_a_shared_computer_keeps_no_links_unless_asked_and_forgets_them_all_at_once(live_server, watched):
    page = watched.page(label="home")
    page.goto(live_server.url + "/")
    card = page.locator(".scenario[data-deck='demo']")
    page.get_by_test_id("keep-links").uncheck()
    card.get_by_label("Title for your session (optional)").fill("Not kept")
    card.get_by_role("button", name="Create exercise").click()
    expect(page.get_by_test_id("created")).to_contain_text("does not keep them")  # shown once, now
    page.get_by_test_id("umpire-link").click()  # the console opened from here keeps its token for this tab only
    expect(page.get_by_test_id("connection")).to_have_attribute("data-status", "live")
    assert not page.evaluate("Object.keys(localStorage).filter((k) => k.startsWith('facilitator:umpire:'))")
    with page.expect_popup() as opened:  # the replay opens in a tab of its own, which inherits the tab's token
        page.get_by_role("link", name="Replay").first.click()
    expect(opened.value.get_by_test_id("replay")).to_have_attribute("data-as", "umpire")
    opened.value.close()
    page.goto(live_server.url + "/")
    expect(page.locator(".recent")).to_have_count(0)
    assert "token" not in page.evaluate("JSON.stringify(localStorage)")

    card = page.locator(".scenario[data-deck='demo']")
    card.get_by_label("Title for your session (optional)").fill("Kept")
    card.get_by_role("button", name="Create exercise").click()
    expect(page.get_by_test_id("created")).to_be_visible()
    page.reload()
    expect(page.locator(".recent-list li", has_text="Kept")).to_be_visible()
    # After the creator leaves, the page shows titles only: no link, no code, until asked.
    assert page.locator("a[href*='token=']").count() == 0 and page.get_by_test_id("created").count() == 0
    page.get_by_test_id("forget-all").click()
    expect(page.locator(".recent")).to_have_count(0)
    assert "token" not in page.evaluate("JSON.stringify(localStorage)")
    for area in ("localStorage", "sessionStorage"):  # the unkept exercise's tab-only token too
        assert not page.evaluate(f"Object.keys({area}).filter((k) => k.startsWith('facilitator:umpire:'))")


def test_the_umpire_lets_people_join_after_the_end(live_server, exercises, watched):
    created = exercises.create("demo")
    exercises.execute(created.id, EndExercise(), UMPIRE_ACTOR)
    watched.allow("status of 400")  # the join refused while closed
    late = watched.page(PHONE, label="late")
    late.goto(f"{live_server.url}/join#code={created.join_codes['ukraine']}")
    late.get_by_label("Your name").fill("Latecomer")
    late.get_by_role("button", name="Join", exact=True).click()
    expect(late.locator(".join-form .form-error:visible")).to_contain_text("has ended")

    umpire = watched.page(label="umpire")
    open_console(umpire, f"{live_server.url}/umpire#token={created.umpire_token}")
    tab(umpire, "Room")
    box = umpire.locator(".late-joins")
    expect(box).to_contain_text("seat nobody")
    box.scroll_into_view_if_needed()
    screenshot(umpire, "umpire-late-joins", before_phone=lambda page: box.scroll_into_view_if_needed())
    box.get_by_role("button", name="Let people join after the end").click()
    expect(box).to_contain_text("still seat new members")
    expect(box.get_by_role("button", name="Close joining")).to_be_visible()

    join(late, f"{live_server.url}/join#code={created.join_codes['ukraine']}", "Latecomer")
