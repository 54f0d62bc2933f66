"""Control of the room from the umpire console, and what the delegations see of it: an announcement, a table
closed and reopened, a member muted, back-channels on request, a new personal link for a new device, a
participant moved, an unplayed delegation played by the umpire, an assistant's console without the umpire's
powers, archive and delete, and the cease-fire risk table with its overrides."""

from __future__ import annotations

import re

from playwright.sync_api import Page, expect

from facilitator.engine import AdvancePhase, Clause, DraftProposal, SignProposal
from facilitator.engine.audience import UMPIRE_ACTOR
from flows import PHONE, SCREENSHOTS, channel, issued_link, join, open_console, people_row, tab


def talks(exercises):
    created = exercises.create("demo")
    exercises.execute(created.id, AdvancePhase(), UMPIRE_ACTOR)
    exercises.execute(created.id, AdvancePhase(), UMPIRE_ACTOR)
    return created


def composer_blocked(page: Page, why: str) -> None:
    expect(page.locator(".composer button[type=submit]")).to_be_disabled()
    expect(page.locator(".composer-note")).to_contain_text(why)


def test_the_umpire_controls_the_room_and_delegations_see_it(live_server, exercises, watched):
    created = talks(exercises)
    base = live_server.url
    umpire = watched.page(label="umpire")
    open_console(umpire, f"{base}/umpire#token={created.umpire_token}")
    olena = watched.page(label="ukraine")
    join(olena, f"{base}/join#code={created.join_codes['ukraine']}", "Olena")
    dmitri = watched.page(label="russia")
    join(dmitri, f"{base}/join#code={created.join_codes['russia']}", "Dmitri")

    # An announcement reaches every console as a notice.
    tab(umpire, "Room")
    umpire.get_by_label("Announcement").fill("Coffee break in five minutes: finish your drafts.")
    umpire.get_by_role("button", name="Announce to everyone").click()
    expect(olena.locator(".banner--announce")).to_contain_text("Coffee break in five minutes")
    expect(dmitri.locator(".banner--announce")).to_contain_text("Announcement from")

    # A table closed with a reason: the composer says why and will not send; reopened, it sends again.
    channel(olena, "table:corridor")
    umpire.get_by_label("Reason (optional, shown to the channel’s readers)").fill("Cooling-off period")
    umpire.get_by_role("button", name="Close Corridor talks (Istanbul)").click()
    row = umpire.locator(".room-row[data-channel='table:corridor']")
    expect(row).to_contain_text("closed by exercise control — Cooling-off period")
    composer_blocked(olena, "Closed by the umpire: Cooling-off period")
    expect(olena.locator("button[data-channel='table:corridor']")).to_have_attribute("aria-label", "Corridor talks (Istanbul) closed (by the umpire)")
    expect(olena.locator(".banner--alert")).to_contain_text("closed by the umpire")
    # After a reload the state says it (room.channels: {channel: {open, reason}}), not the notice she saw.
    olena.reload()
    expect(olena.get_by_test_id("connection")).to_have_attribute("data-status", "live")
    channel(olena, "table:corridor")
    composer_blocked(olena, "Closed by the umpire: Cooling-off period")
    expect(olena.locator("button[data-channel='table:corridor']")).to_have_attribute("aria-label", "Corridor talks (Istanbul) closed (by the umpire)")
    umpire.reload()
    expect(umpire.get_by_test_id("connection")).to_have_attribute("data-status", "live")
    tab(umpire, "Room")
    expect(row).to_contain_text("closed by exercise control — Cooling-off period")
    umpire.get_by_role("button", name="Reopen Corridor talks (Istanbul)").click()
    expect(olena.locator(".composer button[type=submit]")).to_be_enabled()
    expect(olena.locator(".composer-note")).to_contain_text("Enter sends")

    # Muted: she reads, cannot post, and is told why; unmuted, she posts.
    tab(umpire, "Delegations")
    people_row(umpire, "Olena").get_by_role("button", name="Mute Olena").click()
    expect(people_row(umpire, "Olena")).to_contain_text("muted")
    channel(olena, "plenary")
    composer_blocked(olena, "The umpire has muted you: you may read, not post.")
    expect(olena.locator(".banner--alert", has_text="The umpire muted you")).to_be_visible()
    people_row(umpire, "Olena").get_by_role("button", name="Unmute Olena").click()
    expect(olena.locator(".composer button[type=submit]")).to_be_enabled()

    # Back-channels on request: she asks, the umpire approves, both delegations have it.
    tab(umpire, "Room")
    umpire.locator(".policy-buttons").get_by_role("button", name="Ask me").click()
    expect(umpire.get_by_test_id("policy")).to_contain_text("Ask me: each one needs your approval")
    expect(umpire.get_by_test_id("policy")).to_contain_text("Your override")
    expect(olena.locator(".backchannel summary")).to_have_text("Ask for a back-channel")
    olena.locator(".backchannel summary").click()
    olena.locator(".backchannel-form").get_by_label("Russia").check()
    olena.get_by_role("button", name="Ask the umpire").click()
    expect(olena.locator(".backchannel-sent")).to_contain_text("Request sent to the umpire")
    expect(olena.locator(".backchannel-requests")).to_contain_text("Waiting for the umpire: with Russia")
    expect(umpire.locator("#tab-room .tab-badge")).to_contain_text("1")
    request = umpire.locator(".room-row[data-request]")
    expect(request).to_contain_text("Ukraine asks for a back-channel with Russia")
    request.get_by_role("button", name="Approve").click()
    expect(umpire.get_by_test_id("requests")).to_contain_text("approved")
    expect(umpire.locator("#tab-room .tab-badge")).to_be_hidden()
    expect(olena.locator("button[data-channel^='backchannel:']")).to_be_visible()
    expect(olena.locator(".backchannel-requests")).to_be_hidden()
    expect(dmitri.locator(".banner", has_text="Back-channel opened with Ukraine")).to_be_visible()
    expect(dmitri.locator("button[data-channel^='backchannel:']")).to_be_visible()

    # Closed: the form says so and cannot be sent.
    umpire.locator(".policy-buttons").get_by_role("button", name="Closed").click()
    expect(dmitri.locator(".backchannel-policy")).to_contain_text("Back-channels are closed now")
    dmitri.locator(".backchannel summary").click()
    expect(dmitri.get_by_role("button", name="Open back-channel")).to_be_disabled()
    umpire.locator(".policy-buttons").get_by_role("button", name="Follow the deck").click()
    expect(umpire.get_by_test_id("policy")).to_contain_text("The deck’s rule for this phase")
    expect(dmitri.get_by_role("button", name="Open back-channel")).to_be_enabled()


def test_links_moves_and_playing_an_unplayed_delegation(live_server, exercises, watched):
    created = talks(exercises)
    base = live_server.url
    umpire = watched.page(label="umpire")
    open_console(umpire, f"{base}/umpire#token={created.umpire_token}")
    olena = watched.page(label="old device")
    join(olena, f"{base}/join#code={created.join_codes['ukraine']}", "Olena")
    dmitri = watched.page(label="russia")
    join(dmitri, f"{base}/join#code={created.join_codes['russia']}", "Dmitri")
    watched.allow("WebSocket")  # the old device's connection is closed by the server

    # A new personal link, for a new device: the same seat there; the old device is refused.
    tab(umpire, "Delegations")
    expect(people_row(umpire, "Olena")).to_contain_text("connected")
    people_row(umpire, "Olena").get_by_role("button", name="New personal link for Olena").click()
    link = issued_link(umpire, "New personal link for Olena")
    assert "/play#exercise=" in link and "token=" in link
    expect(umpire.locator(".issued img.qr").first).to_have_attribute("src", re.compile(r"^/api/qr\.svg\?data=http"))
    new_device = watched.page(label="new device")
    open_console(new_device, link)
    expect(new_device.get_by_test_id("identity")).to_contain_text("Olena · Ukraine")
    expect(olena.get_by_role("heading", name="This link does not open an exercise")).to_be_visible()

    # Moved to Turkey: his console comes back as Turkey.
    people_row(umpire, "Dmitri").get_by_label("Move Dmitri to").select_option("turkey")
    people_row(umpire, "Dmitri").get_by_role("button", name="Move Dmitri").click()
    expect(dmitri.get_by_test_id("identity")).to_contain_text("Dmitri · Turkey", timeout=15_000)
    expect(umpire.locator(".presence-delegation[data-delegation='turkey']")).to_contain_text("Dmitri")
    expect(umpire.locator(".presence-delegation[data-delegation='russia']")).to_contain_text("nobody has joined yet")

    # Russia is now played by nobody: the umpire plays it, in a new tab, as Russia.
    play = umpire.locator(".presence-delegation[data-delegation='russia']").get_by_role("link", name="Play for this delegation: Russia (opens a new tab)")
    with umpire.context.expect_page() as opened:
        play.click()
    acting = opened.value
    watched.watch(acting, "umpire as Russia")
    expect(acting.get_by_test_id("connection")).to_have_attribute("data-status", "live")
    expect(acting.get_by_test_id("acting")).to_contain_text("You are playing Russia for exercise control")
    expect(acting.get_by_test_id("identity")).to_contain_text("Russia")
    acting.locator("#composer-text").fill("Russia is listening.")
    acting.locator("#composer-text").press("Enter")
    expect(new_device.locator(".msg-text", has_text="Russia is listening.")).to_be_visible()


def test_an_assistant_console_and_the_exercise_archived_then_deleted(live_server, exercises, watched):
    created = talks(exercises)
    base = live_server.url
    umpire = watched.page(label="umpire")
    open_console(umpire, f"{base}/umpire#token={created.umpire_token}")
    expect(umpire.get_by_test_id("identity")).to_contain_text("Umpire")

    tab(umpire, "Delegations")
    staff = umpire.locator("#staff")
    staff.get_by_label("Name").fill("Anna")
    staff.get_by_label("Role").select_option("assistant")
    staff.get_by_role("button", name="Add to exercise control").click()
    link = issued_link(umpire, "Console link for Anna")
    expect(staff.locator(".room-row[data-staff]")).to_contain_text("Anna")

    anna = watched.page(label="assistant")
    open_console(anna, link)
    expect(anna.get_by_test_id("identity")).to_contain_text("Anna")
    expect(anna.get_by_test_id("identity")).to_contain_text("assistant")
    tab(anna, "Control")
    expect(anna.locator("button[data-key='end']")).to_be_disabled()
    expect(anna.locator(".control-phase")).to_contain_text("Only the umpire can end the exercise")
    tab(anna, "Room")
    expect(anna.get_by_role("button", name="Archive the exercise")).to_be_disabled()
    expect(anna.get_by_role("button", name="Delete the exercise…")).to_be_disabled()
    tab(anna, "Delegations")
    expect(anna.locator("#staff").get_by_role("button", name="Add to exercise control")).to_be_disabled()
    expect(anna.get_by_role("button", name="New observer code")).to_be_disabled()
    expect(anna.get_by_role("button", name="New umpire link")).to_be_disabled()
    expect(anna.locator("#people")).to_contain_text("Russia")
    # What an assistant may do, she does: an announcement, signed with her name.
    tab(anna, "Room")
    anna.get_by_label("Announcement").fill("Ten minutes left.")
    anna.get_by_role("button", name="Announce to everyone").click()
    expect(umpire.locator(".banner--announce")).to_contain_text("Ten minutes left.")
    expect(umpire.locator(".banner--announce")).to_contain_text("Anna")

    # A new umpire link: this console keeps working with it, after a reload too.
    tab(umpire, "Delegations")
    new_link = umpire.locator("button[data-key='new-umpire-link']")
    new_link.click()
    expect(new_link).to_have_text("Confirm: replace the umpire link")
    new_link.click()
    issued_link(umpire, "New umpire link")
    umpire.reload()
    expect(umpire.get_by_test_id("connection")).to_have_attribute("data-status", "live")

    # Archive: the exercise ends and says so. Delete (asked twice): back to the start page.
    tab(umpire, "Room")
    archive = umpire.locator("button[data-key='archive']")
    archive.click()
    archive.click()
    expect(umpire.locator(".exercise-status")).to_contain_text("Archived: the exercise has ended")
    expect(umpire.get_by_test_id("phase")).to_have_text("Ended")
    umpire.get_by_role("button", name="Delete the exercise…").click()
    delete = umpire.locator("button[data-key='delete-now']")
    delete.click()
    expect(delete).to_have_text("Confirm: delete everything")
    watched.allow("WebSocket")
    watched.allow("401")
    delete.click()
    expect(umpire).to_have_url(f"{base}/")


def test_the_ceasefire_risk_table_and_its_overrides(live_server, exercises, watched):
    created = talks(exercises)
    base = live_server.url
    ukrainian, _ = exercises.join(created.join_codes["ukraine"], "Olena")
    russian, _ = exercises.join(created.join_codes["russia"], "Dmitri")
    exercises.execute(created.id, DraftProposal("corridor", "Truce at sea", (Clause("maritime-truce", ""),)), ukrainian.actor)
    exercises.execute(created.id, SignProposal(1), ukrainian.actor)
    exercises.execute(created.id, SignProposal(1), russian.actor)
    umpire = watched.page(label="umpire")
    open_console(umpire, f"{base}/umpire#token={created.umpire_token}")

    rule = exercises.deck(created.id).ceasefire_risks[0]
    row = umpire.locator(f"#ceasefire li[data-rule='{rule.id}']")
    expect(row).to_contain_text(f"{round(rule.likelihood * 100)}%")
    expect(row).to_contain_text("The roll decides.")
    # The truce's only clause changes no risk: said so, not "Clauses in force: none" under an agreement in force.
    for risk in exercises.deck(created.id).ceasefire_risks:
        expect(umpire.locator(f"#ceasefire li[data-rule='{risk.id}']")).to_contain_text("No clause in force changes this risk")
    expect(umpire.locator("#ceasefire .risk-sum").first).not_to_contain_text("Clauses in force")
    row.get_by_role("button", name=f"Force next draw: {rule.title}").click()
    expect(row).to_contain_text("forced")
    expect(row.get_by_role("button", name=f"Force next draw: {rule.title}")).to_have_attribute("aria-pressed", "true")
    assert exercises.state(created.id).ceasefire.overrides.get(rule.id) == "force"
    row.get_by_role("button", name=f"Veto next draw: {rule.title}").click()
    expect(row).to_contain_text("vetoed")
    row.get_by_role("button", name=f"Leave to the roll: {rule.title}").click()
    expect(row).to_contain_text("The roll decides.")
    assert exercises.state(created.id).ceasefire.overrides.get(rule.id) is None

    # Trust and readiness changes carry the reason typed.
    tab(umpire, "Indicators")
    umpire.get_by_label("Reason for the changes below").fill("the truce holds")
    umpire.get_by_role("button", name="Trust +5 between Russia – Ukraine").click()
    tab(umpire, "Timeline")
    expect(umpire.locator(".timeline")).to_contain_text("the truce holds")


LONG_NAME = "Oleksandra Volodymyrivna Kovalenko-Bondar"[:40]


def test_people_keep_their_dot_and_the_tabs_scroll_to_the_one_chosen(live_server, exercises, watched):
    created = talks(exercises)
    base = live_server.url
    olena = watched.page(label="ukraine")
    join(olena, f"{base}/join#code={created.join_codes['ukraine']}", LONG_NAME)
    umpire = watched.page(viewport={"width": 1366, "height": 768}, label="umpire")
    open_console(umpire, f"{base}/umpire#token={created.umpire_token}")

    # A long display name: the presence dot stays on the name's (first) line, before it.
    tab(umpire, "Delegations")
    person = people_row(umpire, LONG_NAME)
    expect(person).to_contain_text("connected")
    dot = person.locator(".dot").bounding_box()
    name = person.locator(".person-name").bounding_box()
    line = float(person.locator(".person-name").evaluate("(el) => parseFloat(getComputedStyle(el).lineHeight)"))
    assert dot["x"] + dot["width"] <= name["x"], (dot, name)
    assert name["y"] <= dot["y"] + dot["height"] / 2 <= name["y"] + line, (dot, name)
    person.scroll_into_view_if_needed()
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    umpire.screenshot(path=str(SCREENSHOTS / "umpire-people-long-name-1366x768.png"))

    # On a phone the tabs scroll: the one chosen (by a script, which scrolls nothing itself) shows whole.
    umpire.set_viewport_size(PHONE)
    bar = umpire.locator(".tabs")

    def whole(name: str) -> bool:
        box, t = bar.bounding_box(), umpire.get_by_role("tab", name=name).first.bounding_box()
        return box["x"] <= t["x"] and t["x"] + t["width"] <= box["x"] + box["width"]

    for name in ("Room", "Timeline", "Control", "Delegations"):
        umpire.get_by_role("tab", name=name).first.evaluate("(el) => el.click()")
        umpire.wait_for_timeout(50)
        assert whole(name), f"the {name} tab is cut at the edge of the tab bar"
    # Scrolled to its end by hand, the last tab shows whole too.
    bar.evaluate("(el) => { el.scrollLeft = el.scrollWidth; }")
    assert whole("Timeline")
    umpire.get_by_role("tab", name="Room").first.evaluate("(el) => el.click()")
    umpire.wait_for_timeout(50)
    umpire.screenshot(path=str(SCREENSHOTS / "umpire-tabs-room-390x844.png"))
