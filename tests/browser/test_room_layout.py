"""The consoles hold at every size a class brings (a 1024×768 school laptop to a 1920×1080 projector, and a
phone), on every deck, with notices showing: every visible control can be clicked where it shows, nothing
hidden shows, nothing is wider than the screen, and a list too long for its box scrolls with a scrollbar."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from facilitator.engine import AdvancePhase, FireInject
from facilitator.engine.audience import UMPIRE_ACTOR
from flows import join, open_console

SIZES = [(1024, 768), (1280, 720), (1366, 768), (1920, 1080), (390, 844)]
DECKS = ("demo", "three-track-talks", "talking-about-talking", "kyiv-decides")

CHECK = """() => {
  const problems = [];
  const describe = (el) => `${el.tagName.toLowerCase()}${el.id ? '#' + el.id : ''}` +
    `${el.className && typeof el.className === 'string' ? '.' + el.className.trim().split(/\\s+/).join('.') : ''}` +
    ` "${(el.getAttribute('aria-label') || el.textContent || el.value || '').trim().slice(0, 40)}"`;
  for (const el of document.querySelectorAll('button, input, select, textarea, a[href], summary')) {
    const r = el.getBoundingClientRect();
    // Not rendered: inside a closed <details>, display: none, visibility: hidden.
    if (!r.width || !r.height || !el.checkVisibility({contentVisibilityAuto: true, visibilityProperty: true})) continue;
    // The part of it on screen: inside every box that clips it, and inside the window.
    let [left, top, right, bottom] = [r.left, r.top, r.right, r.bottom];
    for (let a = el.parentElement; a; a = a.parentElement) {
      const s = getComputedStyle(a);
      if (s.overflowX === 'visible' && s.overflowY === 'visible') continue;
      const c = a.getBoundingClientRect();
      left = Math.max(left, c.left); top = Math.max(top, c.top);
      right = Math.min(right, c.right); bottom = Math.min(bottom, c.bottom);
    }
    left = Math.max(left, 0); top = Math.max(top, 0);
    right = Math.min(right, innerWidth); bottom = Math.min(bottom, innerHeight);
    if (right - left < 2 || bottom - top < 2) continue;  // scrolled out of view: reached by scrolling
    const hit = document.elementFromPoint((left + right) / 2, (top + bottom) / 2);
    if (!hit || !(hit === el || el.contains(hit) || (hit.tagName === 'LABEL' && hit.control === el))) {
      problems.push(`covered: ${describe(el)} under ${hit ? describe(hit) : 'nothing'}`);
    }
  }
  for (const el of document.querySelectorAll('[hidden]')) {
    if (el.getClientRects().length) problems.push(`shown though hidden: ${describe(el)}`);
  }
  if (document.documentElement.scrollWidth > innerWidth + 1) {
    problems.push(`wider than the window: ${document.documentElement.scrollWidth} > ${innerWidth}`);
  }
  for (const box of document.querySelectorAll('.chat-channels, .banner-tray[open]')) {
    if (box.getClientRects().length && box.scrollHeight > box.clientHeight + 1 && box.offsetWidth - box.clientWidth < 1) {
      problems.push(`scrolls without a scrollbar: ${describe(box)}`);
    }
  }
  return problems;
}"""


def problems(page: Page, where: str) -> list[str]:
    return [f"{where}: {p}" for p in page.evaluate(CHECK)]


def every_tab(page: Page, where: str) -> list[str]:
    found = []
    for tab in page.get_by_role("tab").all():
        if not tab.is_visible():
            continue
        tab.click()
        page.wait_for_timeout(50)
        found += problems(page, f"{where}, tab {tab.inner_text().strip()}")
    return found


def busiest_delegation(deck) -> str:
    """The delegation that sits at the most tables: the most channels in its list."""
    return max(deck.delegations, key=lambda d: sum(d.id in t.seated for t in deck.tables)).id


@pytest.mark.parametrize("deck_id", DECKS)
def test_consoles_hold_at_every_size_with_notices_showing(live_server, exercises, watched, deck_id):
    created = exercises.create(deck_id)
    deck = exercises.deck(created.id)
    exercises.execute(created.id, AdvancePhase(), UMPIRE_ACTOR)
    member = watched.page(label="member")
    join(member, f"{live_server.url}/join#code={created.join_codes[busiest_delegation(deck)]}", "Olena")
    umpire = watched.page(label="umpire")
    open_console(umpire, f"{live_server.url}/umpire#token={created.umpire_token}")
    exercises.execute(created.id, AdvancePhase(), UMPIRE_ACTOR)
    for i in range(4):  # notices pile up: an inject with a long unbroken word, then more
        exercises.execute(created.id, FireInject(title=f"Flash {i}: " + "x" * 110, text="http://" + "y" * 1990),
                          UMPIRE_ACTOR)
    expect(member.locator(".banner-tray-summary")).to_have_text("4 earlier notices")  # and the phase
    found = []
    for width, height in SIZES:
        for page, who in ((member, "member"), (umpire, "umpire")):
            page.set_viewport_size({"width": width, "height": height})
            page.wait_for_timeout(100)
            found += every_tab(page, f"{deck_id} {who} {width}x{height}")
    assert not found, "\n".join(found[:60])


def test_the_other_screens_hold_at_every_size(live_server, exercises, watched):
    created = exercises.create("kyiv-decides")
    exercises.execute(created.id, AdvancePhase(), UMPIRE_ACTOR)
    pages = {
        "home": f"{live_server.url}/",
        "join": f"{live_server.url}/join#code={created.join_codes['ukraine']}",
        "observer": f"{live_server.url}/observe#code={created.observer_code}",
        "projector": f"{live_server.url}/projector#code={created.observer_code}",
    }
    page = watched.page(label="screens")
    found = []
    for name, url in pages.items():
        page.goto(url)
        page.wait_for_load_state("networkidle")
        for width, height in SIZES:
            page.set_viewport_size({"width": width, "height": height})
            page.wait_for_timeout(100)
            found += every_tab(page, f"{name} {width}x{height}") if page.get_by_role("tab").count() else \
                problems(page, f"{name} {width}x{height}")
    assert not found, "\n".join(found[:60])
