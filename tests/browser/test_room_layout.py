"""The consoles hold at every size a class brings (a 1024×768 school laptop to a 1920×1080 projector, and a
phone), on every deck, with the longest names its delegations, tables and back-channels have and notices
showing: every visible control is whole on screen (or in a box that scrolls to it) and can be clicked where
it shows, nothing hidden shows, no box is wider than the screen, no number breaks across lines, a list too
long for its box scrolls with a scrollbar, and notices leave the chat room for its messages."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from facilitator.engine import AdvancePhase, FireInject, OpenBackchannel
from facilitator.engine.audience import UMPIRE_ACTOR
from flows import join, open_console, tab

SIZES = [(1024, 768), (1280, 720), (1366, 768), (1920, 1080), (390, 844)]
DECKS = ("demo", "three-track-talks", "talking-about-talking", "kyiv-decides")

# What is read as one token, a number or a time: it never breaks across lines.
NUMBERS = ".num, time, .badge, .tab-badge, .unread, .countdown-value, .indicator-value, .proposal-num, .played-num"

CHECK = """() => {
  const NUMBERS = '""" + NUMBERS + """';
  const problems = [];
  const describe = (el) => `${el.tagName.toLowerCase()}${el.id ? '#' + el.id : ''}` +
    `${el.className && typeof el.className === 'string' ? '.' + el.className.trim().split(/\\s+/).join('.') : ''}` +
    ` "${(el.getAttribute('aria-label') || el.textContent || el.value || '').trim().slice(0, 40)}"`;
  const scrolls = (s, axis) => ['auto', 'scroll'].includes(axis === 'x' ? s.overflowX : s.overflowY);
  for (const el of document.querySelectorAll('button, input, select, textarea, a[href], summary')) {
    const r = el.getBoundingClientRect();
    // Not rendered: inside a closed <details>, display: none, visibility: hidden.
    if (!r.width || !r.height || !el.checkVisibility({contentVisibilityAuto: true, visibilityProperty: true})) continue;
    // A control is reachable only whole: every box that clips it either holds all of it or scrolls to it
    // (a box with overflow: hidden, like the console itself, cuts off what sticks out for good).
    const cut = [];
    // Once a box that scrolls (that way) holds it, the boxes further out clip that box, not the control.
    let heldX = false, heldY = false;
    // The part of it on screen: inside every box that clips it, and inside the window.
    let [left, top, right, bottom] = [r.left, r.top, r.right, r.bottom];
    for (let a = el.parentElement; a; a = a.parentElement) {
      const s = getComputedStyle(a);
      if (s.overflowX === 'visible' && s.overflowY === 'visible') continue;
      const c = a.getBoundingClientRect();
      const inside = {left: c.left + a.clientLeft, top: c.top + a.clientTop};
      Object.assign(inside, {right: inside.left + a.clientWidth, bottom: inside.top + a.clientHeight});
      if (a !== document.documentElement && a !== document.body) {
        const fitsX = scrolls(s, 'x') && r.width <= a.clientWidth + 1, fitsY = scrolls(s, 'y') && r.height <= a.clientHeight + 1;
        if (!heldX && !fitsX && (r.left < inside.left - 1 || r.right > inside.right + 1)) cut.push(`sideways by ${describe(a)}`);
        if (!heldY && !fitsY && (r.top < inside.top - 1 || r.bottom > inside.bottom + 1)) {
          cut.push(`at the top or bottom by ${describe(a)}`);
        }
        heldX ||= fitsX; heldY ||= fitsY;
      }
      left = Math.max(left, c.left); top = Math.max(top, c.top);
      right = Math.min(right, c.right); bottom = Math.min(bottom, c.bottom);
    }
    // The window: the page never scrolls sideways; it scrolls down only where it is taller than the window.
    if (!heldX && (r.left < -1 || r.right > innerWidth + 1)) cut.push('sideways by the window');
    if (!heldY && (r.top < -1 || r.bottom > innerHeight + 1) && document.documentElement.scrollHeight <= innerHeight + 1 &&
        !el.matches('.skip-link')) {  // the skip link shows when it has the focus
      cut.push('at the top or bottom by the window');
    }
    left = Math.max(left, 0); top = Math.max(top, 0);
    right = Math.min(right, innerWidth); bottom = Math.min(bottom, innerHeight);
    if (right - left < 2 || bottom - top < 2) {
      if (cut.length) problems.push(`out of reach: ${describe(el)} (cut off ${cut.join(', ')})`);
      continue;  // otherwise scrolled out of view: reached by scrolling
    }
    if (cut.length) problems.push(`cut off: ${describe(el)} ${Math.round(r.left)},${Math.round(r.top)} ` +
                                  `${Math.round(r.width)}×${Math.round(r.height)} (${cut.join(', ')})`);
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
  // The console hides what overflows the window (overflow: hidden), so the page cannot tell: look at every
  // box. One sticking out of the window is wider than the screen, unless a box that scrolls sideways holds it.
  const wide = [];
  for (const el of document.body.querySelectorAll('*')) {
    const r = el.getBoundingClientRect();
    if (!r.width || r.left >= -1 && r.right <= innerWidth + 1) continue;
    if (el.closest('.sr-only') || getComputedStyle(el).position === 'fixed') continue;
    // Text that ends in an ellipsis is cut on purpose, inside a box of its own.
    let ellipsis = false;
    for (let a = el; a && !ellipsis; a = a.parentElement) ellipsis = getComputedStyle(a).textOverflow === 'ellipsis';
    if (ellipsis) continue;
    let held = false;
    for (let a = el.parentElement; a && !held; a = a.parentElement) held = scrolls(getComputedStyle(a), 'x');
    if (!held && !wide.some((w) => w.contains(el))) wide.push(el);
  }
  for (const el of wide) {
    const r = el.getBoundingClientRect();
    problems.push(`wider than the screen: ${describe(el)} from ${Math.round(r.left)} to ${Math.round(r.right)} of ${innerWidth}`);
  }
  // Numbers, counters, badges and times never break inside: each is on one line.
  for (const el of document.querySelectorAll(NUMBERS)) {
    if (!el.getClientRects().length || !el.textContent.trim()) continue;
    const lines = new Set();  // the lines its shown text is on (text for screen readers only aside)
    const walk = document.createTreeWalker(el, NodeFilter.SHOW_TEXT);
    for (let node = walk.nextNode(); node; node = walk.nextNode()) {
      if (node.parentElement.closest('.sr-only')) continue;
      const range = document.createRange();
      range.selectNodeContents(node);
      for (const q of range.getClientRects()) if (q.width) lines.add(Math.round(q.bottom));
    }
    if (lines.size > 1) problems.push(`a number broken over ${lines.size} lines: ${describe(el)}`);
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


def longest_named_delegation(deck) -> str:
    """The delegation whose channel list holds the longest names: its own name (its room), the tables it sits
    at, and the back-channel it would open with the longest-named other delegation."""
    longest_other = {d.id: max((o.name for o in deck.delegations if o.id != d.id), key=len) for d in deck.delegations}

    def longest(d):
        names = [d.name, f"Back-channel: {d.name}, {longest_other[d.id]}"]
        return max(len(n) for n in names + [t.name for t in deck.tables if d.id in t.seated])

    return max(deck.delegations, key=longest).id


def seat_with_every_backchannel(exercises, created, delegation: str) -> None:
    """A second member of ``delegation``, and a back-channel between it and each other delegation: the longest
    channel names there are, and more channels than the list has room for."""
    deck = exercises.deck(created.id)
    exercises.join(created.join_codes[delegation], "Pavlo")
    for other in deck.delegations:
        if other.id != delegation:  # opened by the umpire, whom no deck's back-channel policy binds
            exercises.execute(created.id, OpenBackchannel((delegation, other.id)), UMPIRE_ACTOR)


@pytest.mark.parametrize("deck_id", DECKS)
def test_consoles_hold_at_every_size_with_notices_showing(live_server, exercises, watched, deck_id):
    created = exercises.create(deck_id)
    deck = exercises.deck(created.id)
    exercises.execute(created.id, AdvancePhase(), UMPIRE_ACTOR)
    delegation = longest_named_delegation(deck)
    seat_with_every_backchannel(exercises, created, delegation)
    member = watched.page(label="member")
    join(member, f"{live_server.url}/join#code={created.join_codes[delegation]}", "Olena")
    umpire = watched.page(label="umpire")
    open_console(umpire, f"{live_server.url}/umpire#token={created.umpire_token}")
    exercises.execute(created.id, AdvancePhase(), UMPIRE_ACTOR)
    for i in range(4):  # notices pile up: an inject with a long unbroken word, then more
        exercises.execute(created.id, FireInject(title=f"Flash {i}: " + "x" * 110, text="http://" + "y" * 1990),
                          UMPIRE_ACTOR)
    # The flashes before the last, the phase, and whatever the change of phase fired (the deck's rows due then).
    expect(member.locator(".banners > .banner")).to_contain_text("Flash 3")
    expect(member.locator(".banner-tray-summary")).to_have_text(re.compile(r"^([4-9]|1[0-2]) earlier notices$"))
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


# What the messages keep with a notice showing, the longest names and every back-channel open: four or five
# messages on a school laptop, a few more on a phone (where the chat has the whole width).
MESSAGES_KEEP = {(1024, 768): 200, (390, 844): 240}


@pytest.mark.parametrize("deck_id", ["kyiv-decides", "talking-about-talking"])
def test_a_notice_leaves_the_chat_room_for_its_messages(live_server, exercises, watched, deck_id):
    created = exercises.create(deck_id)
    exercises.execute(created.id, AdvancePhase(), UMPIRE_ACTOR)
    exercises.execute(created.id, AdvancePhase(), UMPIRE_ACTOR)
    delegation = longest_named_delegation(exercises.deck(created.id))
    seat_with_every_backchannel(exercises, created, delegation)
    member = watched.page(label="member")
    join(member, f"{live_server.url}/join#code={created.join_codes[delegation]}", "Olena")
    exercises.execute(created.id, FireInject(title="Flash: two frigates and a tanker sighted off Odesa at dawn, "
                                             "moving north towards the grain corridor",
                                             text="The harbour master asks for guidance. " * 12), UMPIRE_ACTOR)
    notice = member.locator(".banners > .banner")
    expect(notice).to_contain_text("Flash: two frigates")
    found = []
    for (width, height), least in MESSAGES_KEEP.items():
        member.set_viewport_size({"width": width, "height": height})
        if width < 960:
            tab(member, "Channels")
        member.wait_for_timeout(100)
        box = member.locator(".messages").bounding_box()
        if box["height"] < least:
            found.append(f"{width}x{height}: the messages have {box['height']:.0f}px, fewer than {least}px "
                         f"(the notice takes {notice.bounding_box()['height']:.0f}px)")
        found += problems(member, f"{width}x{height}")
    assert not found, "\n".join(found)
