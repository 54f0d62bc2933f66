"""What a class notices on screen: right-to-left text, one way of writing times, where a reload lands, and
messages that say the right thing at the right moment."""

from __future__ import annotations

import re

from playwright.sync_api import expect

from facilitator.engine import AdvancePhase, PostMessage
from facilitator.engine.audience import UMPIRE_ACTOR
from flows import channel, join, open_console, post, tab

ARABIC = "نوافق على البند 3."


def test_right_to_left_text_is_laid_out_right_to_left(live_server, exercises, watched):
    created = exercises.create("demo")
    page = watched.page(label="ukraine")
    join(page, f"{live_server.url}/join#code={created.join_codes['ukraine']}", "Amira")
    box = page.locator("#composer-text")
    box.fill(ARABIC)
    assert box.evaluate("(el) => getComputedStyle(el).direction") == "rtl"
    box.press("Enter")
    message = page.locator(".msg-text", has_text=ARABIC)
    expect(message).to_be_visible()
    assert message.evaluate("(el) => getComputedStyle(el).direction") == "rtl"
    # The full stop ends the sentence at its left end; the 3 stays to its right, with its words.
    assert message.evaluate("""(el) => {
        const text = el.firstChild, at = (from, to) => {
            const range = document.createRange();
            range.setStart(text, from); range.setEnd(text, to);
            return range.getBoundingClientRect();
        };
        const whole = at(0, text.length), stop = at(text.length - 1, text.length), three = at(text.length - 2,
                                                                                           text.length - 1);
        return stop.left <= whole.left + 1 && three.left > stop.left && el.getBoundingClientRect().right - whole.right < 2;
    }""")
    english = page.locator(".msg-text", has_text="Agreed.")
    post(page, "plenary", "Agreed.")
    assert english.evaluate("(el) => getComputedStyle(el).direction") == "ltr"


def test_times_of_day_are_written_one_way_everywhere(live_server, exercises, watched):
    created = exercises.create("demo")
    exercises.execute(created.id, PostMessage("plenary", "Good morning."), UMPIRE_ACTOR)
    page = watched.page(label="ukraine")
    join(page, f"{live_server.url}/join#code={created.join_codes['ukraine']}", "Olena")
    chat_time = page.locator(".msg .msg-time").first.inner_text()
    tab(page, "Timeline")
    page.get_by_label("Show").select_option("all")
    timeline_time = page.locator(".tl .tl-time").first.inner_text()
    assert re.fullmatch(r"\d\d:\d\d", chat_time) and re.fullmatch(r"\d\d:\d\d", timeline_time)


def test_a_reload_or_a_shared_link_returns_to_the_same_tab_and_channel(live_server, exercises, watched):
    created = exercises.create("demo")
    page = watched.page(label="ukraine")
    join(page, f"{live_server.url}/join#code={created.join_codes['ukraine']}", "Olena")
    tab(page, "Proposals")
    channel(page, "delegation:ukraine")
    assert "tab=proposals" in page.url and "channel=delegation%3Aukraine" in page.url
    page.reload()
    expect(page.get_by_role("tab", name="Proposals")).to_have_attribute("aria-selected", "true")
    expect(page.locator("button[data-channel='delegation:ukraine']")).to_have_attribute("aria-current", "true")
    umpire = watched.page(label="umpire")
    open_console(umpire, f"{live_server.url}/umpire#token={created.umpire_token}")
    tab(umpire, "Agreements")
    shared = umpire.url
    assert "token=" not in shared and "tab=proposals" in shared
    again = umpire.context.new_page()  # another tab of the same browser, which holds the umpire's token
    watched.watch(again, "umpire, another tab")
    again.goto(shared)
    expect(again.get_by_role("tab", name="Agreements")).to_have_attribute("aria-selected", "true")


def test_what_a_table_says_before_the_first_phase_and_errors_that_belong_to_a_phase(live_server, exercises, watched):
    created = exercises.create("demo")
    page = watched.page(label="ukraine")
    join(page, f"{live_server.url}/join#code={created.join_codes['ukraine']}", "Olena")
    channel(page, "table:corridor")
    expect(page.locator(".chat-sub")).to_contain_text("Closed until the umpire opens the first phase.")
    expect(page.locator(".chat-sub")).not_to_contain_text("“”")
    # A refused back-channel leaves its reason on screen until the phase changes.
    page.get_by_text("Open a back-channel").click()
    page.locator(".backchannel-form").get_by_role("button", name="Open back-channel").click()
    error = page.locator(".backchannel-form .form-error")
    expect(error).to_contain_text("Choose at least one delegation.")
    exercises.execute(created.id, AdvancePhase(), UMPIRE_ACTOR)
    expect(error).to_be_hidden()


def test_a_closed_select_shows_its_choice_whole_on_a_phone(live_server, exercises, watched):
    created = exercises.create("kyiv-decides")
    exercises.execute(created.id, AdvancePhase(), UMPIRE_ACTOR)
    exercises.execute(created.id, AdvancePhase(), UMPIRE_ACTOR)
    page = watched.page(viewport={"width": 390, "height": 844}, label="phone")
    join(page, f"{live_server.url}/join#code={created.join_codes['ukraine']}", "Olena")
    tab(page, "Proposals")
    select = page.locator(".clause-type").first
    for option in select.locator("option:not([disabled])").all()[:8]:
        select.select_option(option.get_attribute("value"))
        assert select.evaluate("(el) => el.scrollWidth <= el.clientWidth + 1"), option.inner_text()
