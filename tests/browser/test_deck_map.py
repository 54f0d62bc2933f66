"""The deck's map in the consoles: a "Map" card in a delegation's Situation tab and on the umpire's Control tab when
the exercise's deck has a map (the state's ``exercise.map``), none when it has not (the demo); the map file is served
as an SVG image and opens large in a dialog that closes again.

Screenshots of both consoles (1024×768, 1366×768, 390×844) and of the large view go to /tmp/shots-map/."""

from __future__ import annotations

from pathlib import Path
from urllib.request import urlopen

import pytest
from playwright.sync_api import Page, expect

from facilitator.engine import view_state
from facilitator.engine.audience import UMPIRE_ACTOR
from flows import join, open_console, tab
from test_accessibility import AXE

DECK = "kyiv-decides"
SHOTS = Path("/tmp/shots-map")
SIZES = ((1024, 768), (1366, 768), (390, 844))


def map_card(page: Page):
    return page.locator("section.map-card")


def shots(page: Page, name: str, part=None) -> None:
    """``name``-WxH.png in /tmp/shots-map/ at each size, with ``part`` (a locator) scrolled into view."""
    SHOTS.mkdir(parents=True, exist_ok=True)
    size = page.viewport_size
    for width, height in SIZES:
        page.set_viewport_size({"width": width, "height": height})
        page.wait_for_timeout(200)
        if part is not None:
            part.scroll_into_view_if_needed()
            page.wait_for_timeout(100)
        page.screenshot(path=str(SHOTS / f"{name}-{width}x{height}.png"))
    page.set_viewport_size(size)
    page.wait_for_timeout(100)


def violations(page: Page, selector: str) -> list[str]:
    """Serious and critical axe-core violations inside what ``selector`` finds."""
    if not page.evaluate("() => Boolean(window.axe)"):
        page.evaluate(AXE)  # evaluated by the test driver: the page's CSP does not apply
    return page.evaluate("""async (selector) => {
        const result = await axe.run({include: [[selector]]}, {resultTypes: ['violations']});
        return result.violations.filter((v) => ['serious', 'critical'].includes(v.impact))
          .map((v) => `${v.id}: ${v.help} — ${v.nodes.slice(0, 3).map((n) => n.target.join(' ')).join(' | ')}`);
    }""", selector)


def exercise_map(exercises, exercise_id: str) -> dict | None:
    return view_state(exercises.state(exercise_id), UMPIRE_ACTOR)["exercise"].get("map")


def expect_map_shown(page: Page, expected: dict) -> None:
    card = map_card(page)
    expect(card).to_be_visible()
    expect(card.get_by_role("heading", name="Map", exact=True)).to_be_visible()
    img = card.locator("img.map-thumb")
    expect(img).to_have_attribute("src", f"/static/maps/{expected['file']}")
    page.wait_for_function("(img) => img.complete && img.naturalWidth > 0", arg=img.element_handle())
    expect(card.locator(".map-caption")).to_have_text(expected["caption"].strip())
    expect(card.locator(".map-licence")).to_have_text(expected["licence"].strip())


def test_a_deck_with_a_map_shows_it_in_both_consoles_and_the_demo_shows_none(live_server, exercises, watched):
    created = exercises.create(DECK)
    expected = exercise_map(exercises, created.id)
    if not expected:
        pytest.skip(f"the state's exercise.map is absent for {DECK}: the deck has no map: entry yet (or the engine "
                    f"does not send the deck's map)")
    base = live_server.url

    with urlopen(f"{base}/static/maps/{expected['file']}") as response:
        assert response.status == 200
        assert response.headers["Content-Type"].startswith("image/svg+xml")
        body = response.read().decode("utf-8")
    assert "<title" in body and "<desc" in body and 'role="img"' in body
    assert "schematic" in body

    umpire = watched.page(label="umpire")
    open_console(umpire, f"{base}/umpire#token={created.umpire_token}")
    tab(umpire, "Control")
    expect_map_shown(umpire, expected)
    shots(umpire, "umpire-control", map_card(umpire))

    ukraine = watched.page(label="ukraine")
    join(ukraine, f"{base}/join#code={created.join_codes['ukraine']}", "Olena")
    tab(ukraine, "Situation")
    expect_map_shown(ukraine, expected)
    assert not violations(ukraine, "section.map-card")
    shots(ukraine, "delegation-situation", map_card(ukraine))

    # The large view: the map at full size, fitted to the screen on demand; Escape or Close shuts it.
    opener = map_card(ukraine).get_by_role("button", name="View the map large")
    opener.click()
    dialog = ukraine.get_by_role("dialog", name="Map")
    expect(dialog).to_be_visible()
    expect(dialog.locator("img.map-large-img")).to_have_attribute("src", f"/static/maps/{expected['file']}")
    expect(dialog.get_by_role("link", name="Open in a new tab")).to_have_attribute("href", f"/static/maps/{expected['file']}")
    expect(dialog.locator(".map-caption")).to_have_text(expected["caption"].strip())
    assert not violations(ukraine, "dialog.map-dialog")
    ukraine.keyboard.press("Escape")
    expect(dialog).to_have_count(0)
    expect(opener).to_be_focused()
    # At each size: opened from the picture, at full size (on its middle), then fitted to the screen; Close shuts it.
    size = ukraine.viewport_size
    SHOTS.mkdir(parents=True, exist_ok=True)
    for width, height in SIZES:
        ukraine.set_viewport_size({"width": width, "height": height})
        map_card(ukraine).locator("img.map-thumb").click()
        expect(dialog).to_be_visible()
        ukraine.wait_for_timeout(200)
        ukraine.screenshot(path=str(SHOTS / f"delegation-map-large-{width}x{height}.png"))
        fit = dialog.get_by_role("button", name="Fit to the screen")
        fit.click()
        expect(fit).to_have_attribute("aria-pressed", "true")
        ukraine.wait_for_timeout(100)
        ukraine.screenshot(path=str(SHOTS / f"delegation-map-fitted-{width}x{height}.png"))
        dialog.get_by_role("button", name="Close").click()
        expect(dialog).to_have_count(0)
    ukraine.set_viewport_size(size)

    # The demo has no map: no card in either console.
    demo = exercises.create("demo")
    assert exercise_map(exercises, demo.id) is None
    demo_umpire = watched.page(label="demo umpire")
    open_console(demo_umpire, f"{base}/umpire#token={demo.umpire_token}")
    tab(demo_umpire, "Control")
    expect(demo_umpire.locator(".control-phase")).to_be_visible()
    expect(map_card(demo_umpire)).to_be_hidden()
    delegation = next(iter(demo.join_codes))
    member = watched.page(label=delegation)
    join(member, f"{base}/join#code={demo.join_codes[delegation]}", "Sam")
    tab(member, "Situation")
    expect(member.locator(".phase-card")).to_be_visible()
    expect(map_card(member)).to_be_hidden()
