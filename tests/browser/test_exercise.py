"""A short exercise end to end: an umpire and two delegations in separate browsers, and the projector."""

from __future__ import annotations

from playwright.sync_api import expect

from flows import PHONE, advance_to, channel, create_exercise, expect_message, join, open_console, post, screenshot, tab


def test_a_short_exercise_played_in_three_browsers(live_server, watched):
    base = live_server.url

    # The facilitator creates the exercise from the home page and hands out the links.
    home = watched.page(label="home")
    links = create_exercise(home, base, title="Seminar group B")
    expect(home.get_by_test_id("created")).to_contain_text("Seminar group B")
    assert set(links["join"]) == {"ukraine", "russia", "turkey", "un"}
    for qr in home.locator("img.qr").all():  # QR codes drawn by the server, not an outside service
        assert qr.get_attribute("src").startswith("/api/qr.svg?data=")
        assert home.evaluate("(img) => img.complete && img.naturalWidth > 0", qr.element_handle())
    home.get_by_test_id("created").scroll_into_view_if_needed()
    screenshot(home, "home")

    umpire = watched.page(label="umpire")
    open_console(umpire, links["umpire"])
    assert "token=" not in umpire.url  # the secret leaves the address bar

    ukraine = watched.page(label="ukraine")
    ukraine.goto(links["join"]["ukraine"])
    expect(ukraine.get_by_label("Delegation code")).to_have_value(links["codes"]["ukraine"])
    screenshot(ukraine, "join")
    join(ukraine, links["join"]["ukraine"], "Olena")
    expect(ukraine.get_by_test_id("identity")).to_contain_text("Olena · Ukraine")

    russia = watched.page(label="russia")
    join(russia, links["join"]["russia"], "Dmitri")

    # The umpire sees who is connected, then opens the first two phases.
    tab(umpire, "Delegations")
    expect(umpire.locator(".presence-delegation[data-delegation='ukraine'] .is-online")).to_contain_text("Olena")
    expect(umpire.locator(".presence-delegation[data-delegation='russia'] .is-online")).to_contain_text("Dmitri")
    advance_to(umpire, "Briefing")
    expect(ukraine.get_by_test_id("phase")).to_contain_text("Briefing")
    advance_to(umpire, "Talks")
    expect(russia.get_by_test_id("phase")).to_contain_text("Talks")
    expect(ukraine.locator(".countdown")).to_contain_text(":")

    # Chat in plenary and at the corridor table; unread counts on channels not open.
    post(ukraine, "plenary", "Good morning from Kyiv")
    expect_message(russia, "plenary", "Good morning from Kyiv")
    expect_message(umpire, "plenary", "Good morning from Kyiv")
    russia.locator("#composer-text").fill("a draft that must survive")
    post(russia, "table:corridor", "Moscow is ready to talk about the route")
    expect(ukraine.locator("button[data-channel='table:corridor'] .unread")).to_have_text("1")
    expect_message(ukraine, "table:corridor", "Moscow is ready to talk about the route")
    channel(russia, "plenary")
    expect(russia.locator("#composer-text")).to_have_value("a draft that must survive")
    post(ukraine, "plenary", "A second message arrives while Russia is typing")
    expect(russia.locator("#composer-text")).to_have_value("a draft that must survive")

    # Russia plays a public signal; Ukraine sees it on the table.
    tab(russia, "Signals")
    safe_passage = russia.locator(".signal-card[data-card='ru-safe-passage']")
    expect(safe_passage).to_contain_text("Escalation risk -5")
    expect(safe_passage).to_contain_text("reversible")
    safe_passage.get_by_role("button", name="Play in public").click()
    expect(russia.locator(".played-list")).to_contain_text("Declare safe passage for grain ships")
    tab(ukraine, "Signals")
    expect(ukraine.locator(".played-list")).to_contain_text("Russia: Declare safe passage for grain ships")

    # Ukraine drafts an agreement at the corridor table; both parties sign it.
    tab(ukraine, "Proposals")
    draft = ukraine.locator("#draft-card")
    draft.get_by_label("Table").select_option("corridor")
    draft.get_by_label("Title").fill("Grain corridor, first stage")
    draft.get_by_label("Clause type").select_option("safe-route")
    draft.get_by_label("Terms").fill("Ships follow the agreed lane from Odesa")
    draft.get_by_role("button", name="Put it on the table").click()
    proposal = ukraine.locator(".proposal[data-proposal='1']")
    expect(proposal).to_contain_text("Grain corridor, first stage")
    proposal.get_by_role("button", name="Sign proposal #1").click()
    expect(proposal.locator(".signatures")).to_contain_text("Ukraine signed")
    tab(russia, "Proposals")
    russian_copy = russia.locator(".proposal[data-proposal='1']")
    expect(russian_copy.locator(".signatures")).to_contain_text("Ukraine signed")
    russian_copy.get_by_role("button", name="Sign proposal #1").click()
    expect(russian_copy).to_contain_text("in force")
    expect(proposal).to_contain_text("in force")
    expect(proposal.locator(".signatures")).to_contain_text("Russia signed")

    # An ad hoc inject to Ukraine only: it reaches Ukraine's page and not Russia's.
    tab(umpire, "Control")
    adhoc = umpire.locator(".adhoc-form")
    adhoc.get_by_label("Title").fill("Warships near the lane")
    adhoc.get_by_label("Text").fill("Your navy reports two frigates shadowing the route at night.")
    adhoc.get_by_label("Chosen delegations").check()
    adhoc.locator(".recipients").get_by_label("Ukraine").check()
    adhoc.get_by_role("button", name="Fire ad hoc inject").click()
    expect(ukraine.locator(".banner--inject").filter(has_text="Warships near the lane")).to_be_visible()
    tab(ukraine, "Situation")
    expect(ukraine.locator(".injects-received")).to_contain_text("Your navy reports two frigates")
    expect(ukraine.locator(".injects-received")).to_contain_text("only your delegation")
    # Russia: a public inject fired after the private one proves Russia's page is up to date…
    adhoc.get_by_label("Title").fill("Markets calm")
    adhoc.get_by_label("Text").fill("Wheat prices fall on the news.")
    adhoc.get_by_label("Everyone").check()
    adhoc.get_by_role("button", name="Fire ad hoc inject").click()
    expect(russia.locator(".banner--inject").filter(has_text="Markets calm")).to_be_visible()
    # …and the private one is nowhere on it.
    tab(russia, "Timeline")
    russia.get_by_label("Show").select_option("all")
    expect(russia.locator(".timeline")).to_contain_text("Markets calm")
    assert "Warships near the lane" not in russia.content()
    assert "two frigates" not in russia.content()

    # A reload keeps Olena in her seat, with the history.
    ukraine.reload()
    expect(ukraine.get_by_test_id("connection")).to_have_attribute("data-status", "live")
    expect(ukraine.get_by_test_id("identity")).to_contain_text("Olena · Ukraine")
    expect(ukraine.locator(".messages .msg-text", has_text="A second message arrives").first).to_be_visible()
    tab(ukraine, "Timeline")
    expect(ukraine.locator(".timeline")).to_contain_text("Agreement #1 “Grain corridor, first stage” is in force")
    tab(ukraine, "Situation")
    expect(ukraine.locator(".injects-received")).to_contain_text("Warships near the lane")

    # The projector shows the agreement in force, the phase and the indicators.
    projector = watched.page(label="projector")
    projector.goto(links["projector"])
    expect(projector.get_by_test_id("agreements")).to_contain_text("Grain corridor, first stage")
    expect(projector.get_by_test_id("phase")).to_contain_text("Talks")
    expect(projector.locator(".chart")).to_be_visible()
    expect(projector.get_by_test_id("recent")).to_contain_text("Markets calm")
    assert "Warships near the lane" not in projector.content()

    # Screenshots of every view, at desktop and phone width.
    tab(ukraine, "Proposals")
    screenshot(ukraine, "delegation-console", before_phone=lambda page: tab(page, "Channels"))
    tab(umpire, "Control")
    umpire.locator(".console-main").evaluate("(el) => { el.scrollTop = 0; }")
    screenshot(umpire, "umpire-console")
    screenshot(projector, "projector")
    observer = watched.page(label="observer")
    observer.goto(links["projector"].replace("/projector#", "/observe#"))
    expect(observer.get_by_test_id("connection")).to_have_attribute("data-status", "live")
    tab(observer, "Agreements")
    screenshot(observer, "observer", before_phone=lambda page: tab(page, "Channels"))

    # Nothing overflows sideways at phone width.
    for page in (home, ukraine, umpire, projector, observer):
        page.set_viewport_size({"width": 360, "height": PHONE["height"]})
        page.wait_for_timeout(100)
        overflow = page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
        assert overflow <= 0, f"{page.url} is {overflow}px too wide at 360px"
