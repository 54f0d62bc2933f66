"""A long session stays light: 5,000 messages in one channel and ~10,000 events in all are rendered
a screenful at a time, and scrolling up pages older history in from the events endpoint.

The long log is what a member's commands make, decided by the engine (``engine.run``, as ``execute`` decides
them) and stored through the event store in one transaction; the server then catches up from the log, as after
another process wrote. Writing it command by command (10,000 transactions) is what other tests are about and
took most of this one's time."""

from __future__ import annotations

import json
from datetime import timedelta

from playwright.sync_api import expect

from facilitator.engine.audience import UMPIRE_ACTOR
from facilitator.engine import AdvancePhase, PostMessage, run
from facilitator.services.exercises import now
from flows import tab

MESSAGES = 5000
OTHER = 4990  # in the delegation's own room: with phases and seating, ~10,000 events in all


def smallest_number_shown(page, selector: str) -> int:
    return page.evaluate("""(selector) => Math.min(...[...document.querySelectorAll(selector)]
        .map((el) => Number((el.textContent.match(/#(\\d+)/) || [0, Infinity])[1])))""", selector)


def test_long_channel_and_timeline_render_little_and_page_older_history_in(live_server, exercises, watched):
    created = exercises.create("demo")
    exercises.execute(created.id, AdvancePhase(), UMPIRE_ACTOR)
    identity, token = exercises.join(created.join_codes["ukraine"], "Olena")
    commands = []
    for i in range(MESSAGES):
        commands.append(PostMessage("plenary", f"plenary message #{i}"))
        if i < OTHER:
            commands.append(PostMessage("delegation:ukraine", f"room note #{i}"))
    last_seq = write_at_once(exercises, created.id, commands, identity.actor)
    assert last_seq >= 9_990

    page = watched.page(label="ukraine")
    page.goto(live_server.url + "/join")
    session = {"token": token, "role": "delegation", "delegation": "ukraine",
               "participant": identity.actor.participant, "name": "Olena"}
    page.evaluate("([key, value]) => localStorage.setItem(key, value)",
                  [f"facilitator:session:{created.id}", json.dumps(session)])
    page.goto(f"{live_server.url}/play#exercise={created.id}")

    # The plenary opens at its newest message, with only a screenful of rows in the page.
    messages = page.locator(".messages")
    expect(messages.locator(".msg-text", has_text=f"plenary message #{MESSAGES - 1}")).to_be_visible()
    rendered = page.locator(".messages .msg").count()
    assert 0 < rendered < 100, f"{rendered} message rows in the DOM"
    first_seen = smallest_number_shown(page, ".messages .msg-text")

    # Scrolling to the top pages older messages in (several times), and the DOM stays small.
    for _ in range(12):
        before = smallest_number_shown(page, ".messages .msg-text")
        if before < first_seen - 300:
            break
        messages.evaluate("(el) => { el.scrollTop = 0; el.dispatchEvent(new Event('scroll')); }")
        page.wait_for_function("""([selector, before]) => Math.min(...[...document.querySelectorAll(selector)]
            .map((el) => Number((el.textContent.match(/#(\\d+)/) || [0, Infinity])[1]))) < before""",
                               arg=[".messages .msg-text", before])
    assert smallest_number_shown(page, ".messages .msg-text") < first_seen - 300
    assert page.locator(".messages .msg").count() < 100

    # A message arriving meanwhile does not pull the reader down: a button offers to jump.
    scrolled = settled_scroll_top(messages)  # an older page may still be settling in
    exercises.execute(created.id, PostMessage("plenary", "a late message"), identity.actor)
    jump = page.locator(".chat .vlist-jump")
    expect(jump).to_have_text("1 new below ↓")
    assert abs(messages.evaluate("(el) => el.scrollTop") - scrolled) < 5
    jump.click()
    expect(messages.locator(".msg-text", has_text="a late message")).to_be_visible()
    expect(jump).to_be_hidden()

    # The timeline: everything, ~10,000 events, a screenful at a time, older pages on scroll.
    tab(page, "Timeline")
    page.get_by_label("Show").select_option("all")
    timeline = page.locator(".timeline")
    expect(timeline.locator(".tl").first).to_be_visible()
    assert page.locator(".timeline .tl").count() < 100
    top_seq = lambda: page.evaluate("() => Math.min(...[...document.querySelectorAll('.timeline .tl')].map((el) => Number(el.dataset.seq)))")  # noqa: E731
    newest = top_seq()
    for _ in range(12):
        before = top_seq()
        if before < newest - 300:
            break
        timeline.evaluate("(el) => { el.scrollTop = 0; el.dispatchEvent(new Event('scroll')); }")
        page.wait_for_function("""(before) => Math.min(...[...document.querySelectorAll('.timeline .tl')]
            .map((el) => Number(el.dataset.seq))) < before""", arg=before)
    assert top_seq() < newest - 300
    assert page.locator(".timeline .tl").count() < 100

    # Switching channels and back keeps working with the long lists.
    page.get_by_role("tab", name="Chat").click() if page.viewport_size["width"] < 960 else None
    page.locator("button[data-channel='delegation:ukraine']").click()
    expect(messages.locator(".msg-text", has_text=f"room note #{OTHER - 1}")).to_be_visible()
    assert page.locator(".messages .msg").count() < 100


def write_at_once(exercises, exercise_id: str, commands: list, actor) -> int:
    """Decide ``commands`` by ``actor`` one after another with the engine, append all their events in one
    transaction, and have the service catch up from the log; returns the log's last seq."""
    state = exercises.state(exercise_id)
    first, events = state.seq, []
    when = max(now(), exercises.events(exercise_id, UMPIRE_ACTOR, after=first - 1)[-1].at)
    for k, command in enumerate(commands):
        made, state = run(state, command, actor, when + timedelta(microseconds=100 * k))  # 1 s for 10,000
        events += made
    with exercises.db.write() as session:
        exercises.store.append(session, exercise_id, events, first)
    caught_up = exercises.state(exercise_id)
    assert caught_up.seq == state.seq == first + len(commands), (caught_up.seq, state.seq, first)
    return caught_up.seq


def settled_scroll_top(locator, tries: int = 50) -> float:
    """The element's scrollTop once two readings 100 ms apart agree."""
    last = locator.evaluate("(el) => el.scrollTop")
    for _ in range(tries):
        locator.page.wait_for_timeout(100)
        now = locator.evaluate("(el) => el.scrollTop")
        if now == last:
            return now
        last = now
    return last
