"""In the browser, one intention is one command: Enter held down posts once, two umpire consoles confirming
"Next phase" together open one phase, and what is typed while a message is on its way is kept."""

from __future__ import annotations

import time

from playwright.sync_api import expect

from facilitator.engine import AdvancePhase
from facilitator.engine.audience import UMPIRE_ACTOR
from facilitator.services import ExerciseService
from flows import join, open_console, tab


def plenary_texts(exercises, exercise_id: str) -> list[str]:
    return [e.data["text"] for e in exercises.events(exercise_id, UMPIRE_ACTOR)
            if e.type == "message_posted" and e.data["channel"] == "plenary"]


def slowed(monkeypatch, kind: type, seconds: float) -> None:
    """Commands of ``kind`` take ``seconds`` longer at the server (before they are decided): a slow room."""
    real = ExerciseService.execute

    def execute(self, exercise_id, command, *args, **kwargs):
        if isinstance(command, kind):
            time.sleep(seconds)
        return real(self, exercise_id, command, *args, **kwargs)
    monkeypatch.setattr(ExerciseService, "execute", execute)


def test_enter_pressed_twice_or_held_down_posts_once(live_server, exercises, watched, monkeypatch):
    from facilitator.engine import PostMessage
    created = exercises.create("demo")
    page = watched.page(label="ukraine")
    join(page, f"{live_server.url}/join#code={created.join_codes['ukraine']}", "Olena")
    slowed(monkeypatch, PostMessage, 0.4)
    box = page.locator("#composer-text")
    box.fill("Once, please.")
    # Enter, then the key's auto-repeat: all three before the first ack can come back.
    page.evaluate("""() => {
        const box = document.getElementById('composer-text');
        for (const repeat of [false, true, true]) {
            box.dispatchEvent(new KeyboardEvent('keydown', {key: 'Enter', bubbles: true, cancelable: true, repeat}));
        }
    }""")
    expect(page.locator(".msg-text", has_text="Once, please.")).to_have_count(1)
    page.wait_for_timeout(600)  # anything sent twice would have arrived by now
    assert plenary_texts(exercises, created.id) == ["Once, please."]
    # A double click on Send is the same intention.
    box.fill("And once more.")
    page.locator(".composer button[type=submit]").dblclick()
    expect(page.locator(".msg-text", has_text="And once more.")).to_have_count(1)
    page.wait_for_timeout(600)
    assert plenary_texts(exercises, created.id) == ["Once, please.", "And once more."]


def test_text_typed_while_a_message_is_on_its_way_is_kept(live_server, exercises, watched, monkeypatch):
    from facilitator.engine import PostMessage
    created = exercises.create("demo")
    page = watched.page(label="ukraine")
    join(page, f"{live_server.url}/join#code={created.join_codes['ukraine']}", "Olena")
    slowed(monkeypatch, PostMessage, 0.5)
    box = page.locator("#composer-text")
    box.fill("First thought.")
    box.press("Enter")
    expect(box).to_have_value("")
    box.press_sequentially("Second thought")  # typed before the first message's ack
    expect(page.locator(".msg-text", has_text="First thought.")).to_be_visible()
    page.wait_for_timeout(300)
    expect(box).to_have_value("Second thought")
    # The room left is shown as one types (the server's limit: 2,000 characters).
    expect(page.locator(".composer .room-left")).to_have_text("1,986 characters left")


def test_two_umpire_consoles_confirming_next_phase_together_open_one_phase(live_server, exercises, watched,
                                                                             monkeypatch):
    created = exercises.create("demo")
    exercises.execute(created.id, AdvancePhase(), UMPIRE_ACTOR)  # the briefing
    first, second = watched.page(label="umpire 1"), watched.page(label="umpire 2")
    for page in (first, second):
        open_console(page, f"{live_server.url}/umpire#token={created.umpire_token}")
        tab(page, "Control")
        expect(page.get_by_test_id("phase")).to_contain_text("Briefing")
    slowed(monkeypatch, AdvancePhase, 0.6)  # both confirmations reach the server before either is decided
    for page in (first, second):
        button = page.locator("button[data-key='advance']")
        button.click()
        expect(button).to_contain_text("Confirm")
    first.locator("button[data-key='advance']").click()
    second.locator("button[data-key='advance']").click()
    for page in (first, second):
        expect(page.get_by_test_id("phase")).to_contain_text("Talks")
    phases = [e.data["phase"] for e in exercises.events(created.id, UMPIRE_ACTOR) if e.type == "phase_advanced"]
    assert phases == ["briefing", "talks"], "a phase was skipped"
    expect(second.get_by_text("Someone else just did this. Now: Talks")).to_be_visible()


def test_the_proposal_form_shows_the_room_left(live_server, exercises, watched):
    created = exercises.create("demo")
    exercises.execute(created.id, AdvancePhase(), UMPIRE_ACTOR)
    exercises.execute(created.id, AdvancePhase(), UMPIRE_ACTOR)
    page = watched.page(label="ukraine")
    join(page, f"{live_server.url}/join#code={created.join_codes['ukraine']}", "Olena")
    tab(page, "Proposals")
    form = page.locator(".draft-form")
    form.get_by_label("Title").fill("Grain")
    expect(form.locator(".field", has=page.get_by_label("Title")).locator(".room-left")).to_have_text(
        "115 characters left")
    form.locator(".clause-terms").first.fill("x" * 1990)
    expect(form.locator(".clause-row .room-left").first).to_have_text("10 characters left")
    expect(form.locator(".clause-foot .room-left")).to_have_text("1 of 30 clauses")


def test_the_browser_sends_no_request_when_something_happens_and_names_every_command(live_server, exercises,
                                                                                       watched):
    """What the server pushes is enough: after the first resume, events bring no resume; each command goes
    with its own command_id."""
    import json as json_
    from facilitator.engine import FireInject, PlaySignal
    created = exercises.create("demo")
    page = watched.page(label="ukraine")
    sent: list[str] = []
    page.on("websocket", lambda ws: ws.on("framesent", lambda frame: sent.append(str(frame))))
    join(page, f"{live_server.url}/join#code={created.join_codes['ukraine']}", "Olena")
    russian, _ = exercises.join(created.join_codes["russia"], "Dmitri")
    exercises.execute(created.id, AdvancePhase(), UMPIRE_ACTOR)
    exercises.execute(created.id, AdvancePhase(), UMPIRE_ACTOR)
    exercises.execute(created.id, FireInject(title="Flash", text="Ships sighted."), UMPIRE_ACTOR)
    exercises.execute(created.id, PlaySignal("ru-safe-passage"), russian.actor)
    expect(page.get_by_test_id("phase")).to_contain_text("Talks")
    tab(page, "Timeline")
    expect(page.locator(".timeline")).to_contain_text("Inject: Flash")
    expect(page.locator(".timeline")).to_contain_text("played “")
    page.locator("#composer-text").fill("Seen it.")
    page.locator("#composer-text").press("Enter")
    expect(page.locator(".msg-text", has_text="Seen it.")).to_be_visible()
    resumes = [f for f in sent if '"resume"' in f]
    commands = [json_.loads(f[f.index("["):])[1] for f in sent if '"command"' in f]
    assert len(resumes) == 1, resumes
    assert [c["type"] for c in commands] == ["post_message"] and len(commands[0]["command_id"]) == 32


def test_texts_are_counted_the_servers_way_and_refused_not_cut(live_server, exercises, watched):
    """The server counts characters (an emoji is one); the browser counts the same way, and over the limit it
    says by how much and sends nothing, rather than cutting the text."""
    created = exercises.create("demo")
    page = watched.page(label="ukraine")
    join(page, f"{live_server.url}/join#code={created.join_codes['ukraine']}", "Olena")
    box, room = page.locator("#composer-text"), page.locator(".composer .room-left")
    box.fill("🕊" * 1500)
    expect(room).to_have_text("500 characters left")
    box.press("Enter")
    expect(page.locator(".msg-text").first).to_be_visible()
    assert plenary_texts(exercises, created.id) == ["🕊" * 1500]
    box.fill("x" * 2500)
    expect(room).to_have_text("500 characters over the limit of 2,000")
    box.press("Enter")
    page.locator(".composer button[type=submit]").click()
    page.wait_for_timeout(400)
    assert plenary_texts(exercises, created.id) == ["🕊" * 1500]
    assert len(box.input_value()) == 2500  # nothing cut, nothing lost


def test_an_agreement_at_another_table_shows_what_its_entry_into_force_told(live_server, exercises, watched):
    """Ukraine does not sit at the allies' table: the principles agreed there are listed apart, with their terms,
    and without a drafter or a version it was never told of."""
    from facilitator.engine import Clause, DraftProposal, SignProposal
    created = exercises.create("talking-about-talking")
    for _ in range(2):  # the briefing, then the allies' first phase (their table opens)
        exercises.execute(created.id, AdvancePhase(), UMPIRE_ACTOR)
    allies = {d: exercises.join(created.join_codes[d], name)[0] for d, name in
              (("united-states", "Dana"), ("eu", "Elsa"), ("nato", "Nils"))}
    exercises.execute(created.id, DraftProposal("allies", "Allied principles",
                                                (Clause("allied-principles", "Quietly agreed."),)),
                      allies["united-states"].actor)
    for ally in allies.values():
        exercises.execute(created.id, SignProposal(1), ally.actor)
    page = watched.page(label="ukraine")
    join(page, f"{live_server.url}/join#code={created.join_codes['ukraine']}", "Olena")
    tab(page, "Proposals")
    elsewhere = page.locator(".card", has=page.get_by_role("heading", name="Agreements in force at other tables"))
    expect(elsewhere.locator(".proposal[data-proposal='1']")).to_contain_text("Quietly agreed.")
    expect(elsewhere).not_to_contain_text("version")
    expect(elsewhere).not_to_contain_text("drafted by")
    mine = page.locator(".card", has=page.get_by_role("heading", name="Proposals at your tables"))
    expect(mine).to_contain_text("No proposal yet.")


def test_a_message_on_its_way_survives_a_reload_and_arrives_once(live_server, exercises, watched, monkeypatch):
    """Sent while the Wi-Fi was down, the page reloaded before it came back: the new page sends it again with
    the same command_id, and the server applies it once."""
    from facilitator.engine import PostMessage
    created = exercises.create("demo")
    watched.allow("ERR_INTERNET_DISCONNECTED")
    page = watched.page(label="ukraine")
    join(page, f"{live_server.url}/join#code={created.join_codes['ukraine']}", "Olena")
    page.context.set_offline(True)
    expect(page.get_by_test_id("connection")).to_have_attribute("data-status", "reconnecting")
    page.locator("#composer-text").fill("Typed on the train.")
    page.locator("#composer-text").press("Enter")
    expect(page.locator("#composer-text")).to_have_value("")
    page.context.set_offline(False)
    page.reload()
    expect(page.locator(".msg-text", has_text="Typed on the train.")).to_have_count(1)
    page.wait_for_timeout(500)
    assert plenary_texts(exercises, created.id) == ["Typed on the train."]
    # Sent, answered, then reloaded: nothing is sent again.
    slowed(monkeypatch, PostMessage, 0.0)
    page.locator("#composer-text").fill("Once.")
    page.locator("#composer-text").press("Enter")
    expect(page.locator(".msg-text", has_text="Once.")).to_have_count(1)
    page.reload()
    expect(page.get_by_test_id("connection")).to_have_attribute("data-status", "live")
    page.wait_for_timeout(500)
    assert plenary_texts(exercises, created.id) == ["Typed on the train.", "Once."]


def test_an_amendment_on_an_old_version_is_refused_then_replaces_it_only_when_asked(live_server, exercises, watched):
    from facilitator.engine import AmendProposal, Clause, DraftProposal
    created = exercises.create("demo")
    exercises.execute(created.id, AdvancePhase(), UMPIRE_ACTOR)
    exercises.execute(created.id, AdvancePhase(), UMPIRE_ACTOR)
    russian, _ = exercises.join(created.join_codes["russia"], "Dmitri")
    exercises.execute(created.id, DraftProposal("corridor", "Route", (Clause("safe-route", "Route A"),)), russian.actor)
    page = watched.page(label="ukraine")
    join(page, f"{live_server.url}/join#code={created.join_codes['ukraine']}", "Olena")
    tab(page, "Proposals")
    page.locator("button[data-key='amend-1']").click()
    form = page.locator(".draft-form")
    form.locator(".clause-terms").first.fill("Route A, 24 hours")
    exercises.execute(created.id, AmendProposal(1, (Clause("safe-route", "Route B"),)), russian.actor)  # meanwhile
    form.get_by_role("button", name="Table version 2").click()
    expect(form.locator(".form-error")).to_contain_text("was amended (now version 2)")
    expect(form.locator(".clause-terms").first).to_have_value("Route A, 24 hours")
    assert exercises.state(created.id).proposals.get(1).clauses[0].terms == "Route B"
    form.get_by_role("button", name="Replace version 2 with yours").click()
    expect(page.locator(".proposal[data-proposal='1']")).to_contain_text("Route A, 24 hours")
    assert exercises.state(created.id).proposals.get(1).version == 3


def test_messages_refused_as_too_many_are_sent_again_in_order_without_an_error(app, live_server, exercises, watched):
    """Over the commands limit the server answers rate_limited with retry_after: the page waits and sends the same
    command again (the same command_id), so a fast typist sees every message arrive, in order, and no error.
    (Six messages against 2 at once then 2 a second: the later ones are refused at least once.)"""
    from facilitator.limits import Limiter, Rate
    app.extensions["facilitator"].limits.commands = Limiter(Rate(burst=2, per_second=2))
    created = exercises.create("demo")
    page = watched.page(label="ukraine")
    join(page, f"{live_server.url}/join#code={created.join_codes['ukraine']}", "Olena")
    box = page.locator("#composer-text")
    texts = [f"Point {n}." for n in range(1, 7)]
    for text in texts:  # the composer sends one message at a time: each as soon as the one before is taken
        box.fill(text)
        box.press("Enter")
        expect(page.locator(".msg-text", has_text=text)).to_have_count(1)
    assert plenary_texts(exercises, created.id) == texts
    assert page.locator(".form-error:visible, .toast--error").count() == 0
