"""Text typed by people (names, messages, titles) is shown as text in every view, never run as markup."""

from __future__ import annotations

from playwright.sync_api import expect

from facilitator.engine.audience import UMPIRE_ACTOR, Actor
from facilitator.engine import AdvancePhase, Clause, DraftProposal, SignProposal
from flows import join, open_console, post, tab

NAME = "<img src=x onerror=alert(1)>"
MESSAGE = "<img src=x onerror=alert(1)> and <script>alert(2)</script>"
TITLE = '"><svg onload=alert(3)><img src=x onerror=alert(4)>'


def no_injected_markup(page) -> None:
    assert page.locator("img[src='x']").count() == 0
    assert page.locator("main svg[onload], main script").count() == 0
    assert page.evaluate("() => [...document.images].every((img) => img.src.startsWith(location.origin))")


def test_names_messages_and_titles_render_as_text_everywhere(live_server, exercises, watched):
    created = exercises.create("demo")
    base = live_server.url
    exercises.execute(created.id, AdvancePhase(), UMPIRE_ACTOR)
    exercises.execute(created.id, AdvancePhase(), UMPIRE_ACTOR)  # talks: the corridor table is open
    russian, _ = exercises.join(created.join_codes["russia"], "Dmitri")

    ukraine = watched.page(label="ukraine")
    join(ukraine, f"{base}/join#code={created.join_codes['ukraine']}", NAME)
    expect(ukraine.get_by_test_id("identity")).to_contain_text(NAME)
    post(ukraine, "plenary", MESSAGE)

    # A proposal whose title is markup, signed into force, so that it reaches the projector too.
    participants = [a for a in exercises.state(created.id).participants.members.values() if a.delegation == "ukraine"]
    ukrainian = Actor("delegation", "ukraine", participants[0].id, participants[0].name)
    exercises.execute(created.id, DraftProposal("corridor", TITLE, (Clause("safe-route", MESSAGE),)), ukrainian)
    exercises.execute(created.id, SignProposal(1), ukrainian)
    exercises.execute(created.id, SignProposal(1), russian.actor)

    umpire = watched.page(label="umpire")
    open_console(umpire, f"{base}/umpire#token={created.umpire_token}")
    projector = watched.page(label="projector")
    projector.goto(f"{base}/projector#code={created.observer_code}")
    expect(projector.get_by_test_id("agreements")).to_contain_text(TITLE)

    # Delegation console: header, chat, proposals, timeline, delegations list.
    expect(ukraine.locator(".msg-author", has_text=NAME).first).to_be_visible()
    expect(ukraine.locator(".msg-text", has_text=MESSAGE).first).to_be_visible()
    tab(ukraine, "Proposals")
    expect(ukraine.locator(".proposal[data-proposal='1'] h3")).to_contain_text(TITLE)
    tab(ukraine, "Timeline")
    ukraine.get_by_label("Show").select_option("all")
    expect(ukraine.locator(".timeline")).to_contain_text(f"{NAME} joined Ukraine")
    tab(ukraine, "Brief")
    expect(ukraine.locator(".delegation-list")).to_contain_text(NAME)
    no_injected_markup(ukraine)

    # Umpire console: chat, presence, timeline.
    expect(umpire.locator(".msg-text", has_text=MESSAGE).first).to_be_visible()
    tab(umpire, "Delegations")
    expect(umpire.locator(".presence-delegation[data-delegation='ukraine']")).to_contain_text(NAME)
    tab(umpire, "Timeline")
    expect(umpire.locator(".timeline")).to_contain_text(TITLE)
    no_injected_markup(umpire)

    # Projector: agreement and the latest events.
    expect(projector.get_by_test_id("recent")).to_contain_text(TITLE)
    no_injected_markup(projector)
    # The watched fixture fails the test if any page raised a dialog (alert) or logged an error.
