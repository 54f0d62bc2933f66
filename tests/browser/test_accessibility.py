"""Every screen passes an axe-core audit (no serious or critical violation), and the whole way in, from the
join page to a message and a signature, works with the keyboard alone."""

from __future__ import annotations

from pathlib import Path

from playwright.sync_api import Page, expect

from facilitator.engine import AdvancePhase, Clause, DraftProposal, FireInject
from facilitator.engine.audience import UMPIRE_ACTOR
from flows import join, open_console

AXE = (Path(__file__).parent / "vendor" / "axe.min.js").read_text(encoding="utf-8")


def violations(page: Page, where: str) -> list[str]:
    """Serious and critical axe-core violations on the page as it is now, one line each."""
    if not page.evaluate("() => Boolean(window.axe)"):
        page.evaluate(AXE)  # evaluated by the test driver: the page's CSP does not apply
    found = page.evaluate("""async () => {
        const result = await axe.run(document, {resultTypes: ['violations']});
        return result.violations.filter((v) => ['serious', 'critical'].includes(v.impact))
          .map((v) => `${v.id} (${v.impact}): ${v.help} — ${v.nodes.slice(0, 3).map((n) => n.target.join(' ')).join(' | ')}`);
    }""")
    return [f"{where}: {v}" for v in found]


def audit_tabs(page: Page, where: str) -> list[str]:
    found = violations(page, f"{where}, first view")
    for tab in page.get_by_role("tab").all():
        if tab.is_visible():
            tab.click()
            page.wait_for_timeout(50)
            found += violations(page, f"{where}, tab {tab.inner_text().strip()}")
    return found


def test_every_screen_passes_an_accessibility_audit(live_server, exercises, watched):
    base = live_server.url
    created = exercises.create("kyiv-decides")
    exercises.execute(created.id, AdvancePhase(), UMPIRE_ACTOR)
    exercises.execute(created.id, AdvancePhase(), UMPIRE_ACTOR)
    exercises.execute(created.id, FireInject(title="Flash", text="Ships sighted off Odesa."), UMPIRE_ACTOR)
    found = []
    page = watched.page(label="screens")
    for name, url in (("home", f"{base}/"), ("join", f"{base}/join#code={created.join_codes['ukraine']}"),
                      ("observer", f"{base}/observe#code={created.observer_code}"),
                      ("projector", f"{base}/projector#code={created.observer_code}")):
        page.goto(url)
        page.wait_for_load_state("networkidle")
        found += audit_tabs(page, name)
    page.goto(f"{base}/")
    page.locator(".scenario[data-deck='demo']").get_by_role("button", name="Create exercise").click()
    expect(page.get_by_test_id("created")).to_be_visible()
    found += violations(page, "home, an exercise just created")
    member = watched.page(label="member")
    join(member, f"{base}/join#code={created.join_codes['ukraine']}", "Olena")
    found += audit_tabs(member, "delegation console")
    member.set_viewport_size({"width": 390, "height": 844})
    found += audit_tabs(member, "delegation console on a phone")
    umpire = watched.page(label="umpire")
    open_console(umpire, f"{base}/umpire#token={created.umpire_token}")
    found += audit_tabs(umpire, "umpire console")
    assert not found, "\n".join(found)


def focus(page: Page, selector: str, presses: int = 80) -> None:
    """Press Tab until the element matching ``selector`` has the focus (a keyboard user's way there)."""
    for _ in range(presses):
        if page.evaluate("(s) => document.activeElement?.matches(s)", selector):
            return
        page.keyboard.press("Tab")
    raise AssertionError(f"{selector} cannot be reached with Tab")


def test_join_chat_and_sign_with_the_keyboard_alone(live_server, exercises, watched):
    created = exercises.create("demo")
    exercises.execute(created.id, AdvancePhase(), UMPIRE_ACTOR)
    exercises.execute(created.id, AdvancePhase(), UMPIRE_ACTOR)
    russian, _ = exercises.join(created.join_codes["russia"], "Dmitri")
    exercises.execute(created.id, DraftProposal("corridor", "Grain route", (Clause("safe-route", "Route A"),)),
                      russian.actor)
    page = watched.page(label="keyboard")
    page.goto(f"{live_server.url}/join#code={created.join_codes['ukraine']}")
    focus(page, "#join-name")
    page.keyboard.type("Olena")
    page.keyboard.press("Enter")
    expect(page.get_by_test_id("connection")).to_have_attribute("data-status", "live")

    focus(page, "#composer-text")
    page.keyboard.type("Typed without a mouse.")
    page.keyboard.press("Enter")
    expect(page.locator(".msg-text", has_text="Typed without a mouse.")).to_be_visible()

    focus(page, "[role=tab][aria-selected=true]")
    for _ in range(6):  # the tabs follow the arrow keys
        if page.evaluate("() => document.activeElement?.textContent.startsWith('Proposals')"):
            break
        page.keyboard.press("ArrowRight")
    expect(page.get_by_role("tab", name="Proposals")).to_have_attribute("aria-selected", "true")
    focus(page, "button[data-key='sign-1']")
    page.keyboard.press("Enter")
    expect(page.locator(".proposal[data-proposal='1'] .signatures")).to_contain_text("Ukraine signed")
    assert exercises.state(created.id).proposals.get(1).signatures == ("ukraine",)
