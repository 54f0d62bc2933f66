"""What a class notices on screen: right-to-left text (and names in it that stay in their place), one way of
writing times and dates, where a reload lands, where the keyboard's focus goes after a command, messages that
say the right thing at the right moment, and a message waiting for the connection that shows it waits."""

from __future__ import annotations

import re

from playwright.sync_api import expect

from facilitator.engine import (AdjustRelation, AdvancePhase, Clause, DraftProposal, OpenBackchannel, PostMessage,
                                SignProposal)
from facilitator.engine.audience import UMPIRE_ACTOR
from flows import channel, create_exercise, join, open_console, post, tab, tab_to

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
    exercises.execute(created.id, AdvancePhase(), UMPIRE_ACTOR)  # back-channels are closed before the start
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


ARABIC_NAME = "أمينة"


def test_a_right_to_left_name_keeps_its_place_in_an_english_line(live_server, exercises, watched):
    created = exercises.create("demo")
    page = watched.page(label="ukraine")
    join(page, f"{live_server.url}/join#code={created.join_codes['ukraine']}", "Olena")
    exercises.join(created.join_codes["ukraine"], ARABIC_NAME)
    tab(page, "Timeline")
    line = page.locator(".tl-title", has_text="joined Ukraine").filter(has_text=ARABIC_NAME)
    expect(line).to_be_visible()
    # "<name> joined Ukraine": an English sentence, left to right, the name first (at the left), whole.
    assert line.evaluate("""(el, name) => {
        const where = (word) => {  // the box of the first text node holding ``word``
            const walk = document.createTreeWalker(el, NodeFilter.SHOW_TEXT);
            for (let node = walk.nextNode(); node; node = walk.nextNode()) {
                const at = node.data.indexOf(word);
                if (at < 0) continue;
                const range = document.createRange();
                range.setStart(node, at);
                range.setEnd(node, at + word.length);
                return range.getBoundingClientRect();
            }
            return null;
        };
        const who = where(name), joined = where('joined'), line = el.getBoundingClientRect();
        return Boolean(who && joined) && who.right <= joined.left + 1 && who.left - line.left < 2;
    }""", ARABIC_NAME)


def test_the_home_page_writes_when_an_exercise_was_created_the_one_way(live_server, watched):
    page = watched.page(label="home")
    create_exercise(page, live_server.url, "demo", title="Thursday class")
    created = page.locator(".recent-list li", has_text="Thursday class").locator("time")
    expect(created).to_have_text(re.compile(r"\d{4}-\d\d-\d\d \d\d:\d\d"))


def test_the_join_form_drops_an_error_once_the_name_is_typed_again(live_server, exercises, watched):
    created = exercises.create("demo")
    exercises.join(created.join_codes["ukraine"], "Olena")
    watched.allow("status of 409")  # the server's answer: that name is taken
    page = watched.page(label="join")
    page.goto(f"{live_server.url}/join#code={created.join_codes['ukraine']}")
    name = page.get_by_label("Your name")
    name.fill("Olena")
    page.get_by_role("button", name="Join", exact=True).click()
    error = page.locator(".join-form .form-error").filter(has_text="Olena")
    expect(error).to_be_visible()
    expect(name).to_have_attribute("aria-invalid", "true")
    name.fill("O" * 45)  # over the limit: the form says so itself, and the old error is gone
    expect(page.locator(".join-form .form-error:visible")).to_have_count(0)
    expect(name).not_to_have_attribute("aria-invalid", "true")
    expect(page.locator(".join-form .room-left")).to_contain_text("over the limit")


def test_a_message_sent_offline_shows_it_is_waiting_until_it_is_sent(live_server, exercises, watched):
    created = exercises.create("demo")
    watched.allow("ERR_INTERNET_DISCONNECTED")
    page = watched.page(label="ukraine")
    join(page, f"{live_server.url}/join#code={created.join_codes['ukraine']}", "Olena")
    page.context.set_offline(True)
    expect(page.get_by_test_id("connection")).to_have_attribute("data-status", "reconnecting")
    page.locator("#composer-text").fill("Still here?")
    page.locator("#composer-text").press("Enter")
    expect(page.locator("#composer-text")).to_have_value("")
    waiting = page.locator(".messages .msg--pending")
    expect(waiting).to_contain_text("Still here?")
    expect(waiting).to_contain_text("waiting to send…")
    page.context.set_offline(False)
    expect(waiting).to_have_count(0, timeout=15_000)
    expect(page.locator(".messages .msg-text", has_text="Still here?")).to_have_count(1)


def test_a_reload_shows_the_current_channel_low_in_a_long_list(live_server, exercises, watched):
    created = exercises.create("kyiv-decides")
    exercises.execute(created.id, AdvancePhase(), UMPIRE_ACTOR)
    colleague, _ = exercises.join(created.join_codes["france"], "Pierre")
    for other in ("ukraine", "russia", "united-states", "china", "turkey", "un"):
        exercises.execute(created.id, OpenBackchannel((other,)), colleague.actor)
    page = watched.page(viewport={"width": 1024, "height": 768}, label="france")
    join(page, f"{live_server.url}/join#code={created.join_codes['france']}", "Olena")
    last = page.locator("button[data-channel]").last.get_attribute("data-channel")
    channel(page, last)
    page.reload()
    expect(page.get_by_test_id("connection")).to_have_attribute("data-status", "live")
    chip = page.locator(f"button[data-channel='{last}']")
    expect(chip).to_have_attribute("aria-current", "true")
    assert page.locator(".chat-channels").evaluate("(box) => box.scrollHeight > box.clientHeight + 1"), \
        "the list must be longer than its box for this test to mean anything"
    assert chip.evaluate("""(el) => {
        const box = el.closest('.chat-channels').getBoundingClientRect(), r = el.getBoundingClientRect();
        return r.top >= box.top - 1 && r.bottom <= box.bottom + 1;
    }"""), "the current channel is scrolled out of the list's view"


def test_the_keyboard_stays_on_a_proposal_once_it_is_tabled_and_signed(live_server, exercises, watched):
    created = exercises.create("demo")
    exercises.execute(created.id, AdvancePhase(), UMPIRE_ACTOR)
    exercises.execute(created.id, AdvancePhase(), UMPIRE_ACTOR)
    page = watched.page(label="keyboard")
    join(page, f"{live_server.url}/join#code={created.join_codes['ukraine']}", "Olena")
    tab_to(page, "[role=tab][aria-selected=true]")
    for _ in range(6):
        if page.evaluate("() => document.activeElement?.textContent.startsWith('Proposals')"):
            break
        page.keyboard.press("ArrowRight")
    tab_to(page, "#draft-card input[type=text]")
    page.keyboard.type("Grain route")
    tab_to(page, "#draft-card button[type=submit]")
    page.keyboard.press("Enter")
    heading = page.locator(".proposal[data-proposal='1'] h3")
    expect(heading).to_be_focused()  # not the top of the page: the proposal just put on the table
    tab_to(page, "button[data-key='sign-1']", presses=5)  # its own buttons come next
    page.keyboard.press("Enter")
    expect(page.locator(".proposal[data-proposal='1'] .signatures")).to_contain_text("Ukraine signed")
    expect(heading).to_be_focused()  # the Sign button is gone: the focus stays on its proposal
    page.keyboard.press("Tab")
    expect(page.locator(".proposal[data-proposal='1'] button").first).to_be_focused()


def test_a_clause_that_binds_only_beside_a_text_kyiv_signs_says_so_before_and_at_the_signature(live_server, exercises,
                                                                                                 watched):
    created = exercises.create("kyiv-decides")
    while exercises.state(created.id).phase is None or \
            not exercises.state(created.id).phase.table_open("washington-moscow"):
        exercises.execute(created.id, AdvancePhase(), UMPIRE_ACTOR)
    state = exercises.state(created.id)
    rung = state.deck.table("washington-moscow").min_readiness - state.relations[("russia", "united-states")].readiness
    if rung > 0:
        exercises.execute(created.id, AdjustRelation(("russia", "united-states"), "ready", readiness=rung), UMPIRE_ACTOR)
    page = watched.page(label="united-states")
    join(page, f"{live_server.url}/join#code={created.join_codes['united-states']}", "Antony")
    tab(page, "Proposals")
    draft = page.locator("#draft-card")
    draft.get_by_label("Table").select_option("washington-moscow")
    draft.get_by_label("Title").fill("Relief in stages")
    draft.get_by_label("Clause type").select_option("sanctions-relief")
    expect(draft.locator(".clause-desc")).to_contain_text(
        "It enters into force only together with a text Ukraine signs: link this proposal to one.")
    draft.get_by_role("button", name="Put it on the table").click()
    proposal = page.locator(".proposal[data-proposal='1']")
    expect(proposal).to_contain_text("Relief in stages")
    expect(proposal.locator(".package-note")).to_have_text(
        "“U.S. sanctions relief” enters into force only together with a text Ukraine signs.")
    proposal.get_by_role("button", name="Sign proposal #1").click()
    expect(page.get_by_text("enters into force only together with a text Ukraine signs: link proposal #1")).to_be_visible()
    expect(proposal.locator(".signatures")).not_to_contain_text("United States signed")
    # Moscow links a Black Sea text to it: Kyiv's page says the linked text is at a table Kyiv does not sit at.
    russia, _ = exercises.join(created.join_codes["russia"], "Sergei")
    state = exercises.state(created.id)
    for other in ("turkey", "un", "ukraine"):
        key = tuple(sorted(("russia", other)))
        short = state.deck.table("black-sea").min_readiness - state.relations[key].readiness if key in state.relations else 0
        if short > 0:
            exercises.execute(created.id, AdjustRelation(key, "ready", readiness=short), UMPIRE_ACTOR)
    exercises.execute(created.id, DraftProposal("black-sea", "A swap", (Clause("prisoner-exchange"),), links=(1,)),
                      russia.actor)
    kyiv = watched.page(label="ukraine")
    join(kyiv, f"{live_server.url}/join#code={created.join_codes['ukraine']}", "Olena")
    tab(kyiv, "Proposals")
    expect(kyiv.locator(".proposal[data-proposal='2'] .links-note")).to_have_text(
        "Linked: #1 (at a table where you do not sit)")
    # Both sign the relief: Washington's card says it waits for the texts linked with it, which it is not shown.
    exercises.execute(created.id, SignProposal(1), russia.actor)
    proposal.get_by_role("button", name="Sign proposal #1").click()
    expect(proposal.locator(".waits-note")).to_have_text(
        "Every party has signed: it enters into force when every text linked with it is signed too.")
