"""The debrief on the projector: once the exercise has ended, the umpire steps through the deck's questions and
the room's screen follows, with each question's chart or moments; objectives and red lines stay private until
the umpire reveals them, and then the projector shows them. Screenshots of the projector's debrief view go to
test-artifacts/screenshots/ (copies in docs/screenshots/)."""

from __future__ import annotations

from datetime import timedelta

from playwright.sync_api import expect

from facilitator.engine import (AdjustIndicator, AdvancePhase, Clause, DraftProposal, EndExercise, PlaySignal,
                                SignProposal)
from facilitator.engine.audience import UMPIRE_ACTOR
from facilitator.services.exercises import now
from flows import SCREENSHOTS, open_console, tab
from test_accessibility import AXE, violations

SIZES = ((1024, 768), (1366, 768), (1920, 1080), (390, 844))  # laptop to projector, and a phone


def card_violations(page, selector: str) -> list[str]:
    """Serious and critical axe-core violations inside one part of the page."""
    if not page.evaluate("() => Boolean(window.axe)"):
        page.evaluate(AXE)
    return page.evaluate("""async (selector) => {
        const result = await axe.run(document.querySelector(selector), {resultTypes: ['violations']});
        return result.violations.filter((v) => ['serious', 'critical'].includes(v.impact))
          .map((v) => `${v.id}: ${v.help} — ${v.nodes.slice(0, 3).map((n) => n.target.join(' ')).join(' | ')}`);
    }""", selector)


def played_and_ended(exercises):
    """The demo deck played over 42 minutes (dated in the past, so the charts have a time axis): a public
    signal, indicator moves, the corridor agreed with a truce at sea, then the end."""
    created = exercises.create("demo", title="Grain corridor, Tuesday group")
    ukraine, _ = exercises.join(created.join_codes["ukraine"], "Olena")
    russia, _ = exercises.join(created.join_codes["russia"], "Dmitri")
    start = now() - timedelta(minutes=50)

    def at(minute, command, actor=UMPIRE_ACTOR):
        exercises.execute(created.id, command, actor, at=start + timedelta(minutes=minute))

    at(0, AdvancePhase())  # briefing
    at(8, AdvancePhase())  # talks
    at(11, PlaySignal("ua-demining-pledge"), ukraine.actor)
    at(15, AdjustIndicator("grain", 15, "first ships leave Odesa"))
    at(19, AdjustIndicator("escalation", 8, "drones over the port"))
    at(24, DraftProposal("corridor", "Black Sea corridor", (Clause("safe-route", "From Odesa"),
                                                           Clause("maritime-truce", ""),
                                                           Clause("joint-inspection", ""))), ukraine.actor)
    at(26, SignProposal(1), ukraine.actor)
    at(27, SignProposal(1), russia.actor)
    at(30, AdvancePhase())  # signing
    at(34, AdjustIndicator("grain", 20, "the corridor holds"))
    at(42, EndExercise())
    return created


def test_the_umpire_steps_through_the_debrief_and_the_projector_follows(live_server, exercises, watched):
    created = played_and_ended(exercises)
    base = live_server.url
    deck = exercises.state(created.id).deck
    ukraine_goals = [g.text for g in deck.delegation("ukraine").objectives + deck.delegation("ukraine").red_lines]
    russia_goals = [g.text for g in deck.delegation("russia").objectives + deck.delegation("russia").red_lines]

    projector = watched.page(viewport={"width": 1366, "height": 768}, label="projector")
    projector.goto(f"{base}/projector#code={created.observer_code}")
    expect(projector.get_by_test_id("phase")).to_have_text("The exercise has ended")
    toggle = projector.get_by_test_id("debrief-toggle")
    expect(toggle).to_have_text("Debrief")

    # The projector's own toggle: the debrief view before any question, the public outcome only.
    toggle.click()
    expect(projector.get_by_test_id("debrief-question")).to_have_text("How did it end?")
    expect(projector.get_by_test_id("debrief-indicators")).to_contain_text("Grain leaving by sea")
    expect(projector.get_by_test_id("debrief-outcome")).to_contain_text("Black Sea corridor")
    expect(projector.get_by_test_id("debrief-summary")).to_contain_text("Private to each delegation")
    toggle.click()
    expect(projector.locator(".proj-grid")).to_be_visible()
    expect(projector.get_by_test_id("debrief")).to_be_hidden()

    umpire = watched.page(label="umpire")
    open_console(umpire, f"{base}/umpire#token={created.umpire_token}")
    tab(umpire, "Control")
    card = umpire.get_by_test_id("debrief-card")
    expect(card).to_contain_text("No question: the projector shows how it ended")

    # The umpire shows the first question: the projector switches to the debrief and charts its indicator.
    card.locator("button[data-key='debrief-next']").click()
    question = projector.get_by_test_id("debrief-question")
    expect(question).to_have_text("Who gained most from the corridor, and who paid for it?")
    expect(projector.get_by_test_id("debrief-count")).to_have_text("Debrief · question 1 of 3")
    expect(projector.get_by_test_id("debrief")).to_contain_text("Chart: Grain leaving by sea")
    expect(projector.get_by_test_id("debrief-focus").get_by_test_id("debrief-chart")).to_be_visible()
    grain = exercises.state(created.id).indicators["grain"]
    expect(projector.get_by_test_id("debrief-focus")).to_contain_text(
        f"10 at the start, {grain} at the end (on a scale of 0 to 100)")
    expect(card.get_by_test_id("debrief-now")).to_contain_text("Question 1 of 3")
    expect(card.get_by_test_id("debrief-chart")).to_be_visible()  # the umpire's preview

    # Next: a question on the signals lists the public moments of that kind.
    card.locator("button[data-key='debrief-next']").click()
    expect(question).to_have_text("Which signals did the other side believe, and why?")
    expect(projector.get_by_test_id("debrief-moments")).to_contain_text("Offer to pilot ships through the mines")
    card.locator("button[data-key='debrief-next']").click()
    expect(projector.get_by_test_id("debrief-moments")).to_contain_text("A cease-fire begins")

    # Nobody's objectives are on the projector until the umpire reveals them; then they are, measured.
    summary = projector.get_by_test_id("debrief-summary")
    expect(summary).to_contain_text("Private to each delegation")
    assert not [t for t in ukraine_goals + russia_goals if t in projector.content()]
    card.locator("button[data-key='debrief-reveal-ukraine']").click()
    ukraine = summary.locator(".dbf-delegation[data-delegation='ukraine']")
    expect(ukraine).to_contain_text("Get loaded ships out of the Odesa ports under an agreed procedure.")
    expect(ukraine.locator(".dbf-row--good .dbf-result")).to_have_text("Met")
    expect(ukraine).to_contain_text(
        "“A safe sea route for grain ships” is in force (agreement #1 “Black Sea corridor”)")
    expect(ukraine.locator(".dbf-result--open").first).to_have_text("to discuss")
    assert not [t for t in russia_goals if t in projector.content()]
    expect(card.locator(".dbf-delegation[data-delegation='ukraine'] .badge")).to_have_text("revealed")
    card.locator("button[data-key='debrief-reveal-russia']").click()
    expect(summary.locator(".dbf-delegation[data-delegation='russia']")).to_contain_text("Inspections of inbound ships")

    # The projector and the umpire's Debrief card pass the accessibility audit the other screens pass.
    assert violations(projector, "projector debrief") == []
    assert card_violations(umpire, "[data-testid='debrief-card']") == []

    # Back to the first question for the pictures; the toggle still returns to the live view and back.
    card.locator("button[aria-label='Show question 1 to the room']").click()
    expect(projector.get_by_test_id("debrief-count")).to_have_text("Debrief · question 1 of 3")
    expect(projector.get_by_test_id("debrief-focus").get_by_test_id("debrief-chart")).to_be_visible()
    expect(toggle).to_have_text("Live view")
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    for width, height in SIZES:
        projector.set_viewport_size({"width": width, "height": height})
        projector.wait_for_timeout(400)  # the chart follows its box on the next frame
        projector.screenshot(path=str(SCREENSHOTS / f"debrief-projector-{width}x{height}.png"))
        assert projector.evaluate("document.documentElement.scrollWidth <= innerWidth"), f"sideways at {width}"
    toggle.click()
    expect(projector.locator(".proj-grid")).to_be_visible()
    toggle.click()
    expect(projector.get_by_test_id("debrief-question")).to_contain_text("Who gained most")

    # A projector opened during the debrief goes straight to it.
    late = watched.page(viewport={"width": 1366, "height": 768}, label="late projector")
    late.goto(f"{base}/projector#code={created.observer_code}")
    expect(late.get_by_test_id("debrief-question")).to_contain_text("Who gained most")
    expect(late.get_by_test_id("debrief-summary")).to_contain_text("Inspections of inbound ships")
