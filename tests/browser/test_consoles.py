"""The consoles' other controls: back-channels, private and withdrawn signals, amending, linking and
withdrawing proposals; the umpire's clock, deck injects, indicators, relations, cease-fire and end."""

from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone

from playwright.sync_api import expect

from facilitator.engine.audience import UMPIRE_ACTOR
from facilitator.engine import AdvancePhase, Clause, DraftProposal, SignProposal
from flows import channel, confirm_click, join, open_console, post, tab


def talks(exercises):
    created = exercises.create("demo")
    exercises.execute(created.id, AdvancePhase(), UMPIRE_ACTOR)
    exercises.execute(created.id, AdvancePhase(), UMPIRE_ACTOR)
    return created


def test_delegations_negotiate_through_every_control(live_server, exercises, watched):
    created = talks(exercises)
    base = live_server.url
    ukraine = watched.page(label="ukraine")
    join(ukraine, f"{base}/join#code={created.join_codes['ukraine']}", "Olena")
    russia = watched.page(label="russia")
    join(russia, f"{base}/join#code={created.join_codes['russia']}", "Dmitri")

    # A back-channel, with an unread count on the other side.
    ukraine.get_by_text("Open a back-channel").click()
    ukraine.locator(".backchannel-form").get_by_label("Russia").check()
    ukraine.get_by_role("button", name="Open back-channel").click()
    backchannel = "button[data-channel^='backchannel:']"
    expect(ukraine.locator(backchannel)).to_contain_text("Back-channel: Russia, Ukraine")
    backchannel_id = ukraine.locator(backchannel).get_attribute("data-channel")
    post(ukraine, backchannel_id, "Just between us")
    expect(russia.locator(f"{backchannel} .unread")).to_have_text("1")
    channel(russia, backchannel_id)
    expect(russia.locator(".msg-text", has_text="Just between us")).to_be_visible()
    expect(russia.locator(f"{backchannel} .unread")).to_have_count(0)

    # A signal played privately, another played and withdrawn.
    tab(ukraine, "Signals")
    prisoners = ukraine.locator(".signal-card[data-card='ua-prisoner-offer']")
    prisoners.get_by_label("Privately").check()
    expect(prisoners.locator(".recipients").get_by_label("Russia")).to_be_checked()
    prisoners.get_by_role("button", name="Play privately").click()
    tab(russia, "Signals")
    expect(russia.locator(".played-list")).to_contain_text("Propose an exchange of prisoners")
    expect(russia.locator(".played-list")).to_contain_text("privately to Russia")
    pledge = ukraine.locator(".signal-card[data-card='ua-demining-pledge']")
    expect(pledge).to_contain_text("Cost to you")
    pledge.get_by_role("button", name="Play in public").click()
    ukraine.get_by_role("button", name="Withdraw: Offer to pilot ships through the mines").click()
    expect(ukraine.locator(".played.is-withdrawn")).to_contain_text("Offer to pilot ships")
    expect(russia.locator(".played.is-withdrawn")).to_contain_text("Offer to pilot ships")

    # Draft, amend (signatures start again), link, and withdraw.
    tab(ukraine, "Proposals")
    draft = ukraine.locator("#draft-card")
    draft.get_by_label("Title").fill("Safe route")
    draft.get_by_label("Terms").fill("From Odesa only")
    draft.get_by_role("button", name="Put it on the table").click()
    ukraine.get_by_role("button", name="Sign proposal #1").click()
    first = russia.locator(".proposal[data-proposal='1']")
    tab(russia, "Proposals")
    expect(first.locator(".signatures")).to_contain_text("Ukraine signed")
    first.get_by_role("button", name="Amend proposal #1").click()
    amend = russia.locator("#draft-card")
    expect(amend).to_contain_text("Amend proposal #1")
    amend.get_by_label("Terms").fill("From Odesa, Chornomorsk and Pivdennyi")
    amend.get_by_role("button", name="Table version 2").click()
    expect(first).to_contain_text("version 2")
    expect(first).to_contain_text("Chornomorsk")
    expect(first.locator(".signatures")).to_contain_text("Ukraine not yet")

    amend.get_by_label("Title").fill("Inspections")
    amend.get_by_label("Clause type").select_option("joint-inspection")
    amend.get_by_label("#1 Safe route").check()
    amend.get_by_role("button", name="Put it on the table").click()
    second = russia.locator(".proposal[data-proposal='2']")
    expect(second.locator(".links-note")).to_contain_text("#1 “Safe route”")
    expect(ukraine.locator(".proposal[data-proposal='1'] .links-note")).to_contain_text("#2 (links here)")
    second.get_by_role("button", name="Withdraw").click()
    second.get_by_role("button", name="Confirm withdraw").click()
    expect(second).to_contain_text("withdrawn")
    expect(ukraine.locator(".proposal[data-proposal='2']")).to_contain_text("withdrawn")

    # A rule the server enforces comes back as a readable error: Russia cannot offer a UN clause.
    amend.get_by_label("Title").fill("Exports")
    expect(amend.get_by_label("Clause type").locator("option[value='export-statement']")).to_be_disabled()


def test_the_umpire_runs_clock_injects_indicators_and_ceasefire(live_server, exercises, watched):
    created = talks(exercises)
    base = live_server.url
    ukrainian, _ = exercises.join(created.join_codes["ukraine"], "Olena")
    russian, _ = exercises.join(created.join_codes["russia"], "Dmitri")
    exercises.execute(created.id, DraftProposal("corridor", "Truce at sea", (Clause("maritime-truce", ""),)), ukrainian.actor)
    exercises.execute(created.id, SignProposal(1), ukrainian.actor)
    exercises.execute(created.id, SignProposal(1), russian.actor)

    umpire = watched.page(label="umpire")
    open_console(umpire, f"{base}/umpire#token={created.umpire_token}")
    russia = watched.page(label="russia")
    join(russia, f"{base}/join#code={created.join_codes['russia']}", "Pavel")

    # Clock: pause, resume, extend.
    umpire.get_by_role("button", name="Pause clock").click()
    expect(umpire.locator(".topbar .countdown")).to_contain_text("paused")
    expect(russia.locator(".topbar .countdown")).to_contain_text("paused")
    umpire.get_by_role("button", name="Resume clock").click()
    expect(russia.locator(".topbar .countdown")).not_to_contain_text("paused")
    umpire.get_by_label("Minutes to add").fill("10")
    umpire.get_by_role("button", name="Adjust clock").click()
    expect(russia.locator(".topbar .countdown .countdown-value")).to_contain_text("34:")

    # A deck inject addressed to Ukraine: marked fired for the umpire, unseen by Russia.
    row = umpire.locator(".inject-row[data-inject='warships-report']")
    row.get_by_role("button", name="Fire inject: Intelligence: warships shadow the route").click()
    expect(row).to_contain_text("fired ✓")
    tab(umpire, "Timeline")
    expect(umpire.locator(".timeline")).to_contain_text("Inject: Intelligence: warships shadow the route (to Ukraine)")
    row = umpire.locator(".inject-row[data-inject='first-ship']")
    tab(umpire, "Control")
    row.get_by_role("button", name="Fire inject: The first ship sails").click()
    expect(russia.locator(".banner--inject")).to_contain_text("The first ship sails")
    assert "warships shadow" not in russia.content()

    # Indicators and relations, with reasons.
    tab(umpire, "Indicators")
    escalation = umpire.locator(".indicator-adjust[data-indicator='escalation']")
    before = exercises.state(created.id).indicators["escalation"]
    expect(escalation.locator(".indicator-value")).to_have_text(str(before))
    escalation.get_by_label("Change to Escalation risk").fill("7")
    escalation.get_by_label("Reason for changing Escalation risk").fill("shelling near Mykolaiv")
    escalation.get_by_role("button", name="Raise Escalation risk").click()
    expect(escalation.locator(".indicator-value")).to_have_text(str(before + 7))
    tab(russia, "Situation")
    expect(russia.locator(".indicator[data-indicator='escalation'] .indicator-value")).to_have_text(str(before + 7))
    umpire.get_by_role("button", name="Trust +5 between Russia – Ukraine").click()
    tab(umpire, "Timeline")
    expect(umpire.locator(".timeline")).to_contain_text("shelling near Mykolaiv")
    expect(umpire.locator(".timeline")).to_contain_text("Russia and Ukraine: trust +5")

    # The cease-fire holds: draw its risks.
    tab(umpire, "Control")
    expect(umpire.locator(".card", has_text="Cease-fire").first).to_contain_text("Holding under agreement #1")
    umpire.get_by_role("button", name="Draw cease-fire risk").click()
    expect(umpire.locator(".draws")).to_contain_text("An incident on the route")

    # Presence and the end.
    tab(umpire, "Delegations")
    expect(umpire.locator(".presence-delegation[data-delegation='russia']")).to_contain_text("1 of 2 connected")
    tab(umpire, "Control")
    confirm_click(umpire, "end")
    expect(umpire.get_by_test_id("phase")).to_have_text("Ended")
    expect(russia.locator(".banner", has_text="The exercise has ended")).to_be_visible()
    expect(russia.locator(".topbar .countdown")).to_contain_text("Ended")


def test_the_countdown_runs_on_server_time_whatever_the_local_clock_says(live_server, exercises, watched):
    created = talks(exercises)  # the talks phase lasts 25 minutes
    page = watched.page(label="skewed clock")
    page.clock.install(time=datetime.now(timezone.utc) + timedelta(hours=3, minutes=7))
    join(page, f"{live_server.url}/join#code={created.join_codes['turkey']}", "Selin")
    value = page.locator(".topbar .countdown .countdown-value")
    expect(value).to_have_text(re.compile(r"^2[45]:\d\d$"))
