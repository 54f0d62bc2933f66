"""Terms of the glossary in the console: a word in a signal card or a clause is underlined and gives its
definition on hover, on keyboard focus and on a press, and Escape closes it; the signals tab links to the
glossary page, which lists the terms and the timeline."""

from __future__ import annotations

from playwright.sync_api import expect

from facilitator.engine import AdvancePhase, Clause, DraftProposal
from facilitator.engine.audience import UMPIRE_ACTOR, Actor
from flows import join, tab, tab_to
from test_accessibility import violations


def test_a_term_in_a_card_shows_its_definition_and_the_glossary_page_lists_the_timeline(live_server, exercises,
                                                                                      watched):
    created = exercises.create("demo")
    base = live_server.url
    exercises.execute(created.id, AdvancePhase(), UMPIRE_ACTOR)
    exercises.execute(created.id, AdvancePhase(), UMPIRE_ACTOR)  # talks: the corridor table is open
    page = watched.page(label="ukraine")
    join(page, f"{base}/join#code={created.join_codes['ukraine']}", "Olena")

    # "Kyiv proposes swapping prisoners of war through the mediators …"
    tab(page, "Signals")
    card = page.locator(".signal-card[data-card='ua-prisoner-offer']")
    term = card.locator("button.term", has_text="prisoners of war")
    expect(term).to_be_visible()
    expect(term).to_have_css("text-decoration-style", "dotted")
    tip = page.locator(f"#{term.get_attribute('aria-describedby')}")
    expect(tip).to_have_attribute("role", "tooltip")
    expect(tip).to_be_hidden()
    term.hover()
    expect(tip).to_be_visible()
    expect(tip).to_contain_text("prisoner of war: A member of the armed forces captured by the enemy.")
    page.mouse.move(2, 2)
    expect(tip).to_be_hidden()

    # The keyboard reaches it, focus shows the definition, Escape closes it; a press keeps it open.
    tab_to(page, ".signal-card[data-card='ua-prisoner-offer'] button.term")
    expect(tip).to_be_visible()
    expect(term).to_have_attribute("aria-expanded", "true")
    page.keyboard.press("Escape")
    expect(tip).to_be_hidden()
    expect(term).to_have_attribute("aria-expanded", "false")
    page.keyboard.press("Enter")
    expect(tip).to_be_visible()
    page.locator("h2", has_text="Your hand").click()
    expect(tip).to_be_hidden()
    assert violations(page, "signals tab with terms") == []

    # A clause: "A truce at sea", in a proposal on the table.
    member = next(a for a in exercises.state(created.id).participants.members.values() if a.delegation == "ukraine")
    olena = Actor("delegation", "ukraine", member.id, member.name)
    exercises.execute(created.id, DraftProposal("corridor", "Quiet at sea", (Clause("maritime-truce", ""),)), olena)
    tab(page, "Proposals")
    clause = page.locator(".proposal[data-proposal='1'] .clauses-list")
    truce = clause.locator("button.term", has_text="truce")
    expect(truce).to_be_visible()
    truce.click()
    expect(page.locator(f"#{truce.get_attribute('aria-describedby')}")).to_contain_text("A halt to the fighting")

    # The glossary page, from the signals tab, in a tab of its own.
    tab(page, "Signals")
    with page.context.expect_page() as opened:
        page.get_by_test_id("glossary-link").first.click()
    glossary = opened.value
    watched.watch(glossary, "glossary")
    expect(glossary.get_by_role("heading", name="Glossary and timeline")).to_be_visible()
    expect(glossary.locator("#term-minsk-agreements")).to_contain_text("September 2014 and February 2015")
    expect(glossary.locator("#term-minsk-agreements")).to_contain_text("general knowledge")
    timeline = glossary.get_by_test_id("timeline")
    expect(timeline.locator("li").first).to_contain_text("2014")
    events = timeline.locator("li", has=glossary.locator("time[datetime='2022-02-24']"))
    expect(events).to_contain_text("24 February 2022")
    expect(events).to_contain_text("Russia opens its full-scale invasion of Ukraine")
    assert timeline.locator("time").evaluate_all("(els) => els.map((e) => e.getAttribute('datetime'))") == sorted(
        timeline.locator("time").evaluate_all("(els) => els.map((e) => e.getAttribute('datetime'))"),
        key=lambda d: tuple(int(x) for x in (d.split("-") + ["0", "0"])[:3]))
    glossary.get_by_role("link", name="Timeline, 2014–2024").click()  # an anchor on the page: no reload
    expect(glossary).to_have_url(f"{base}/glossary#timeline")
    assert violations(glossary, "glossary page") == []
