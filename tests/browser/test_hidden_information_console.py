"""Hidden information on the consoles, on talking-about-talking: each delegation sees its own private beliefs and
nobody else's; Russia sees its secret card and nobody else does until the umpire reveals Russia's objectives in the
debrief (then the projector and the other delegations show it); the umpire moves a belief and publishes polls,
whose readings every delegation reads, within their margin of a true value only some of them see.

Screenshots of the delegation and umpire consoles at a laptop's and a phone's size, of the projector's debrief and
of the replay go to /tmp/shots/."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from facilitator.engine import COMMANDS
from facilitator.engine.secret_cards import dealt
from flows import confirm_click, tab, umpire_and_members
from test_accessibility import AXE

DECK = "talking-about-talking"
SHOTS = Path("/tmp/shots")
SIZES = ((1024, 768), (390, 844))
KYIV_ON_MOSCOW = "How far Kyiv thinks Moscow will go"
MOSCOW_ON_WASHINGTON = "How far Moscow thinks Washington will back Kyiv"


def shots(page: Page, name: str, *parts) -> None:
    """``name``-WxH.png in /tmp/shots/ at each size; with ``parts`` (locators), one screen per part scrolled into
    view (``name``-WxH-N.png)."""
    SHOTS.mkdir(parents=True, exist_ok=True)
    size = page.viewport_size
    for width, height in SIZES:
        page.set_viewport_size({"width": width, "height": height})
        page.wait_for_timeout(200)
        page.screenshot(path=str(SHOTS / f"{name}-{width}x{height}.png"))
        for n, part in enumerate(parts, 1):
            part.scroll_into_view_if_needed()
            page.wait_for_timeout(100)
            page.screenshot(path=str(SHOTS / f"{name}-{width}x{height}-{n}.png"))
    page.set_viewport_size(size)
    page.wait_for_timeout(100)


def audited(page: Page, *selectors: str) -> list[str]:
    """Serious and critical axe-core violations inside the parts of the page ``selectors`` find (each must be there)."""
    for selector in selectors:
        expect(page.locator(selector).first).to_be_visible()
    if not page.evaluate("() => Boolean(window.axe)"):
        page.evaluate(AXE)  # evaluated by the test driver: the page's CSP does not apply
    return page.evaluate("""async (selectors) => {
        const result = await axe.run({include: selectors.map((s) => [s])}, {resultTypes: ['violations']});
        return result.violations.filter((v) => ['serious', 'critical'].includes(v.impact))
          .map((v) => `${v.id}: ${v.help} — ${v.nodes.slice(0, 3).map((n) => n.target.join(' ')).join(' | ')}`);
    }""", list(selectors))


def card(page: Page, title: str):
    """A console card, by its heading."""
    return page.locator("section.card", has=page.get_by_role("heading", name=title, exact=True))


def test_beliefs_and_the_secret_card_reach_only_their_holders_until_the_debrief_reveals_them(live_server, exercises,
                                                                                           watched):
    created = exercises.create(DECK)
    state = exercises.state(created.id)
    [secret] = state.deck.secrets
    dealt_card = dealt(state, secret)
    assert secret.holder == "russia"
    base = live_server.url
    umpire, ukraine, russia = umpire_and_members(watched, base, created, ukraine="Olena", russia="Dmitri")

    # Each delegation sees its own belief about another's aims, and not the other's.
    tab(ukraine, "Situation")
    believed = card(ukraine, "What you believe")
    expect(believed).to_contain_text("your delegation only")
    kyiv = believed.locator(".belief[data-belief='ukraine>russia']")
    expect(kyiv).to_contain_text("About Russia")
    expect(kyiv).to_contain_text(KYIV_ON_MOSCOW)
    expect(kyiv.get_by_role("meter")).to_have_attribute("aria-valuenow", "80")
    expect(believed).not_to_contain_text(MOSCOW_ON_WASHINGTON)
    tab(russia, "Situation")
    moscow = card(russia, "What you believe")
    expect(moscow.locator(".belief[data-belief='russia>united-states']")).to_contain_text(MOSCOW_ON_WASHINGTON)
    expect(moscow).not_to_contain_text(KYIV_ON_MOSCOW)
    assert KYIV_ON_MOSCOW not in russia.content()

    # Russia's brief holds its secret card; Ukraine's does not, nor anywhere on its console.
    tab(russia, "Brief")
    mine = russia.locator(".brief .secret[data-secret='russia-aim']")
    expect(mine).to_contain_text(secret.title)
    expect(mine).to_contain_text(dealt_card.title)
    expect(mine).to_contain_text(" ".join(dealt_card.text.split()))
    expect(mine.locator(".badge")).to_have_text("your delegation only")
    tab(ukraine, "Brief")
    expect(ukraine.locator(".brief")).to_contain_text("Ukraine")
    expect(ukraine.locator(".secret")).to_have_count(0)
    assert dealt_card.title not in ukraine.content() and secret.title not in ukraine.content()

    # The umpire sees every belief and the dealt card, and moves Ukraine's belief: Ukraine sees it move, Russia
    # still sees nothing of it.
    tab(umpire, "Indicators")
    beliefs = umpire.get_by_test_id("beliefs-card")
    expect(beliefs.locator(".belief")).to_have_count(3)
    dealt_here = umpire.get_by_test_id("secrets-card").locator(".secret[data-secret='russia-aim']")
    expect(dealt_here).to_contain_text(f"Russia: {secret.title}")
    expect(dealt_here).to_contain_text(dealt_card.title)
    expect(dealt_here.locator(".badge")).to_have_text("not revealed")
    shots(umpire, "umpire-hidden-information", beliefs, dealt_here)
    umpire.get_by_role("button", name="Belief +5: Ukraine about Russia").click()
    expect(beliefs.locator(".belief[data-belief='ukraine>russia'] .num")).to_have_text("85")
    tab(ukraine, "Situation")
    expect(kyiv.locator(".num")).to_have_text("85")
    expect(kyiv.get_by_role("meter")).to_have_attribute("aria-valuenow", "85")
    tab(russia, "Situation")
    expect(moscow.locator(".belief")).to_have_count(1)
    assert KYIV_ON_MOSCOW not in russia.content()
    shots(ukraine, "delegation-situation", believed)
    tab(russia, "Brief")
    shots(russia, "delegation-brief-secret", mine)

    # The end: Russia's brief says how the card's objective came out; the projector shows nothing of the card yet.
    projector = watched.page(viewport={"width": 1366, "height": 768}, label="projector")
    projector.goto(f"{base}/projector#code={created.observer_code}")
    expect(projector.get_by_test_id("phase")).to_have_text("Starting soon")
    tab(umpire, "Control")
    confirm_click(umpire, "end")
    expect(projector.get_by_test_id("phase")).to_have_text("The exercise has ended")
    [goal] = dealt_card.objectives
    objective = mine.locator(".objectives li", has_text=goal.text)
    expect(objective).to_be_visible()
    if goal.measure is not None:
        expect(objective.locator(".badge")).to_have_text(re.compile(r"^(met|not met)$"))
    assert dealt_card.title not in projector.content()

    # The umpire reveals Russia's objectives: the projector shows the card with its holder, Ukraine finds it under
    # Russia among the delegations, and Russia's own badge says the room knows.
    debrief = umpire.get_by_test_id("debrief-card")
    debrief.locator("button[data-key='debrief-reveal-russia']").click()
    shown = projector.get_by_test_id("debrief-summary").locator(".dbf-secret[data-holder='russia']")
    expect(shown).to_contain_text(f"Russia’s secret card: {secret.title}")
    expect(shown).to_contain_text(dealt_card.title)
    expect(projector.get_by_test_id("debrief-summary")).to_contain_text(goal.text)
    russia_item = ukraine.locator(".delegation-item[data-delegation='russia']")
    tab(ukraine, "Brief")
    expect(russia_item).to_contain_text("secret card revealed")
    russia_item.locator("summary").click()
    expect(russia_item.locator(".secret")).to_contain_text(dealt_card.title)
    expect(mine.locator(".badge").first).to_have_text("revealed to the room")
    expect(dealt_here.locator(".badge")).to_have_text("revealed to the room")
    projector.wait_for_timeout(200)
    projector.screenshot(path=str(SHOTS / "projector-debrief-secret-1366x768.png"))

    # The replay, Ukraine beside Russia: each one's belief is marked as known to it alone; the revealed card both saw.
    last = exercises.state(created.id).seq
    umpire.goto(f"{base}/replay#exercise={created.id}&as=d:ukraine&vs=d:russia&seq={last}")
    expect(umpire.get_by_test_id("replay")).to_have_attribute("data-seq", str(last))
    left = umpire.locator(".rp-view[data-perspective='d:ukraine']")
    right = umpire.locator(".rp-view[data-perspective='d:russia']")
    expect(left.locator(".belief.rp-only[data-belief='ukraine>russia']")).to_contain_text("only Ukraine")
    expect(left.locator(".belief[data-belief='ukraine>russia'] .num")).to_have_text("85")
    expect(right.locator(".belief.rp-only[data-belief='russia>united-states']")).to_contain_text("only Russia")
    expect(right.locator(".rp-only-summary")).to_contain_text("1 belief")
    for side in (left, right):
        expect(side.locator(".secret[data-secret='russia-aim']")).to_contain_text(dealt_card.title)
        expect(side.locator(".secret.rp-only")).to_have_count(0)
        expect(side.locator(".card", has_text="Polls")).to_be_hidden()
    shots(umpire, "replay-side-by-side", left.locator(".belief").first)


def test_the_umpire_publishes_a_poll_and_delegations_read_it_within_its_margin(live_server, exercises, watched):
    if "publish_poll" not in COMMANDS:
        pytest.skip("the server does not know the command publish_poll yet")
    created = exercises.create(DECK)
    true = exercises.state(created.id).indicators["ua-outlook"]  # seen by Ukraine alone
    base = live_server.url
    umpire, ukraine, russia = umpire_and_members(watched, base, created, ukraine="Olena", russia="Dmitri")
    tab(russia, "Situation")
    tab(ukraine, "Situation")
    expect(card(russia, "Polls")).to_be_hidden()

    tab(umpire, "Indicators")
    polls = umpire.get_by_test_id("polls-card")
    expect(polls).to_contain_text("No poll has been published.")
    expect(polls.get_by_label("Margin ±")).to_have_value("5")

    # A poll of an indicator everyone sees would tell nobody anything: only private ones are offered, grouped by
    # who sees them; the form says who sees the one chosen.
    offered = polls.get_by_label("Indicator").locator("option").all_inner_texts()
    assert not any("Escalation" in o for o in offered), offered
    groups = polls.get_by_label("Indicator").locator("optgroup")
    assert "Seen by Ukraine" in [groups.nth(n).get_attribute("label") for n in range(groups.count())]

    # Outside 1 to 50 points (as the server takes it), or with no margin, the form sends nothing.
    expect(polls.locator("#poll-margin-hint")).to_have_text("Margin: 1 to 50 points.")
    expect(polls.get_by_label("Margin ±")).to_have_attribute("max", "50")
    polls.get_by_label("Indicator").select_option("ua-outlook")
    expect(polls.locator(".poll-seen")).to_have_text("Seen by Ukraine; everyone else reads only the poll.")
    polls.get_by_label("Margin ±").fill("51")
    polls.get_by_role("button", name="Publish poll").click()
    assert polls.get_by_label("Margin ±").evaluate("(field) => field.validationMessage")
    polls.get_by_label("Margin ±").fill("")
    polls.get_by_role("button", name="Publish poll").click()
    expect(polls.locator(".form-error")).to_have_text("Give a margin of 1 to 50 points.")
    expect(polls).to_contain_text("No poll has been published.")

    polls.get_by_label("Margin ±").fill("8")
    polls.get_by_role("button", name="Publish poll").click()
    expect(polls.locator(".form-error")).to_be_hidden()
    reading = russia.locator(".poll[data-poll='ua-outlook']")
    expect(reading.locator(".poll-margin")).to_have_text("±8")
    value = int(reading.locator(".poll-value").inner_text())
    assert abs(value - true) <= 8
    expect(card(russia, "Polls")).to_contain_text("an estimate, not the true value")
    expect(reading.locator(".poll-truth")).to_have_count(0)  # Russia does not see Kyiv's outlook itself
    theirs = ukraine.locator(".poll[data-poll='ua-outlook']")
    expect(theirs.locator(".poll-value")).to_have_text(str(value))
    expect(theirs.locator(".poll-truth")).to_contain_text(str(true))
    expect(polls.locator(".poll[data-poll='ua-outlook'] .poll-value")).to_have_text(str(value))

    # A second reading at the widest margin: the latest on top, every reading in the trend with its own margin.
    polls.get_by_label("Margin ±").fill("50")
    polls.get_by_role("button", name="Publish poll").click()
    expect(reading.locator(".poll-trend")).to_contain_text(f"{value} ±8 → ")
    expect(reading.locator(".poll-margin")).to_have_text("±50")
    second = int(reading.locator(".poll-value").inner_text())
    assert abs(second - true) <= 50
    expect(reading.locator(".poll-trend")).to_have_text(f"trend, oldest first: {value} ±8 → {second} ±50")
    shots(russia, "delegation-polls", reading)
    shots(umpire, "umpire-polls", polls)

    # On a phone the form wraps inside its card: the drop-down, the margin and the button are all in view.
    size = umpire.viewport_size
    umpire.set_viewport_size({"width": 390, "height": 844})
    form = polls.locator(".poll-form")
    form.scroll_into_view_if_needed()
    edge = polls.bounding_box()
    for part in (polls.get_by_label("Indicator"), polls.get_by_label("Margin ±"),
                 polls.get_by_role("button", name="Publish poll")):
        box = part.bounding_box()
        assert edge["x"] <= box["x"] and box["x"] + box["width"] <= edge["x"] + edge["width"], (box, edge)
    # and the drop-down is wide enough for the name chosen in it.
    assert polls.get_by_label("Indicator").evaluate(
        "(select) => { const probe = document.createElement('span'); probe.style.font = getComputedStyle(select).font;"
        " probe.textContent = select.selectedOptions[0].text; document.body.append(probe);"
        " const fits = probe.getBoundingClientRect().width + 40 <= select.clientWidth; probe.remove(); return fits; }")
    assert umpire.evaluate("() => document.documentElement.scrollWidth <= window.innerWidth")
    umpire.set_viewport_size(size)

    # Once the exercise has ended, no poll can be published and no belief moved; each card says why.
    tab(umpire, "Control")
    confirm_click(umpire, "end")
    tab(umpire, "Indicators")
    expect(polls.get_by_role("button", name="Publish poll")).to_be_disabled()
    expect(polls.get_by_label("Indicator")).to_be_disabled()
    expect(polls.get_by_label("Margin ±")).to_be_disabled()
    expect(polls).to_contain_text("The exercise has ended: no more polls can be published.")
    beliefs = umpire.get_by_test_id("beliefs-card")
    expect(beliefs).to_contain_text("The exercise has ended: beliefs can no longer be moved.")
    for button in beliefs.get_by_role("button").all():
        expect(button).to_be_disabled()
    expect(beliefs.get_by_role("button", name="Belief +5: Ukraine about Russia")).to_be_disabled()
    expect(polls.locator(".poll[data-poll='ua-outlook'] .poll-value")).to_have_text(str(second))
    shots(umpire, "umpire-polls-ended", beliefs, polls)

    # The cards of beliefs, polls and secret cards pass an accessibility audit on both consoles.
    found = audited(umpire, "[data-testid='beliefs-card']", "[data-testid='polls-card']", "[data-testid='secrets-card']")
    found += audited(ukraine, "section.card:has(.belief-list)", "section.card:has(.poll-list)")
    tab(russia, "Brief")
    found += audited(russia, ".brief .secrets")
    assert not found, "\n".join(found)
