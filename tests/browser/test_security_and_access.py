"""The Content-Security-Policy holds (header sent, nothing inline, no violation in the browser), user
text never goes through HTML parsing, controls are labelled, and the join page explains mistakes."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from playwright.sync_api import expect

from facilitator.engine.audience import UMPIRE_ACTOR
from facilitator.engine import AdvancePhase
from flows import PHONE, join, open_console, tab

STATIC = Path(__file__).resolve().parents[2] / "static"
PAGES = ["/", "/join", "/play", "/umpire", "/observe", "/projector", "/replay"]

RECORD_VIOLATIONS = """
window.__cspViolations = [];
document.addEventListener('securitypolicyviolation',
  (e) => window.__cspViolations.push(`${e.violatedDirective} ${e.blockedURI}`));
"""

UNLABELLED = """() => [...document.querySelectorAll('input, select, textarea, button')]
  .filter((el) => el.offsetParent !== null && el.type !== 'hidden')
  .filter((el) => !(el.labels && el.labels.length) && !el.getAttribute('aria-label')
                  && !el.getAttribute('aria-labelledby') && !(el.tagName === 'BUTTON' && el.textContent.trim()))
  .map((el) => el.outerHTML.slice(0, 120))"""


@pytest.mark.parametrize("path", PAGES)
def test_every_page_sends_a_strict_csp(client, path):
    with client.get(path) as response:
        assert response.status_code == 200
        csp = response.headers["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "style-src 'self'" in csp
    assert "unsafe-inline" not in csp and "unsafe-eval" not in csp


def test_the_shell_and_scripts_have_nothing_inline_and_never_parse_html():
    html = (STATIC / "index.html").read_text()
    assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", html), "inline <script>"
    assert not re.search(r"\sstyle\s*=", html), "style attribute"
    assert not re.search(r"\son[a-z]+\s*=", html, re.I), "on* handler attribute"
    assert "<style" not in html
    offenders = []
    for path in sorted((STATIC / "js").rglob("*.js")):
        text = path.read_text()
        for pattern in ("innerHTML", "outerHTML", "insertAdjacentHTML", "document.write", "eval(", "new Function",
                        "setAttribute('style'", 'setAttribute("style"'):
            if pattern in text:
                offenders.append(f"{path.relative_to(STATIC)}: {pattern}")
    assert not offenders, offenders


def test_pages_raise_no_csp_violation_and_label_their_controls(live_server, exercises, watched):
    created = exercises.create("demo")
    exercises.execute(created.id, AdvancePhase(), UMPIRE_ACTOR)
    base = live_server.url
    page = watched.page(label="pages")
    page.context.add_init_script(RECORD_VIOLATIONS)

    def check(url_label):
        assert page.evaluate("window.__cspViolations") == [], url_label
        assert page.evaluate(UNLABELLED) == [], url_label

    page.goto(base + "/")
    expect(page.locator(".scenario").first).to_be_visible()
    check("home")
    page.goto(f"{base}/join#code={created.join_codes['turkey']}")
    check("join")
    join(page, f"{base}/join#code={created.join_codes['turkey']}", "Selin")
    for name in ("Situation", "Brief", "Signals", "Proposals", "Timeline"):
        tab(page, name)
        check(f"delegation {name}")
    open_console(page, f"{base}/umpire#token={created.umpire_token}")
    for name in ("Control", "Indicators", "Delegations", "Signals", "Agreements", "Timeline"):
        tab(page, name)
        check(f"umpire {name}")
    page.goto(f"{base}/observe#code={created.observer_code}")
    expect(page.get_by_test_id("connection")).to_have_attribute("data-status", "live")
    check("observer")
    page.goto(f"{base}/projector#code={created.observer_code}")
    expect(page.locator(".chart")).to_be_visible()
    check("projector")
    page.goto(f"{base}/play#exercise=unknown")
    expect(page.get_by_role("heading", name="You have not joined this exercise here")).to_be_visible()
    check("play without a seat")


def test_keyboard_alone_joins_and_posts(live_server, exercises, watched):
    created = exercises.create("demo")
    page = watched.page(label="keyboard")
    page.goto(f"{live_server.url}/join#code={created.join_codes['un']}")
    expect(page.get_by_label("Your name")).to_be_focused()
    page.keyboard.type("Amina")
    page.keyboard.press("Enter")
    expect(page.get_by_test_id("connection")).to_have_attribute("data-status", "live")
    # Tabs move with the arrow keys; the message box takes Enter.
    page.get_by_role("tab", name="Situation").focus()
    page.keyboard.press("ArrowRight")
    focused = page.evaluate("document.activeElement.getAttribute('role') + ':' + document.activeElement.getAttribute('aria-selected')")
    assert focused == "tab:true"
    page.locator("#composer-text").focus()
    page.keyboard.type("Typed without a mouse")
    page.keyboard.press("Enter")
    expect(page.locator(".msg-text", has_text="Typed without a mouse")).to_be_visible()
    # Focus is visible: the focused control gets an outline.
    outline = page.evaluate("getComputedStyle(document.activeElement).outlineStyle")
    assert outline != "none"


def test_join_explains_a_wrong_code_and_a_taken_name(live_server, exercises, watched):
    created = exercises.create("demo")
    exercises.join(created.join_codes["russia"], "Dmitri")
    page = watched.page(label="join", viewport=PHONE)
    watched.allow("status of 404")
    watched.allow("status of 409")
    watched.allow("status of 400")
    page.goto(f"{live_server.url}/join")
    page.get_by_label("Delegation code").fill("ZZZZ-ZZZZ")
    page.get_by_label("Your name").fill("Boris")
    page.get_by_role("button", name="Join", exact=True).click()
    expect(page.locator(".form-error").first).to_contain_text("does not open any delegation")
    expect(page.get_by_label("Delegation code")).to_have_attribute("aria-invalid", "true")
    page.get_by_label("Delegation code").fill(created.join_codes["russia"])
    page.get_by_label("Your name").fill("dmitri")
    page.get_by_role("button", name="Join", exact=True).click()
    expect(page.get_by_text("already called")).to_be_visible()
    page.get_by_label("Your name").fill("Boris")
    page.get_by_role("button", name="Join", exact=True).click()
    expect(page.get_by_test_id("identity")).to_contain_text("Boris · Russia")
    # Opening the same link again offers to continue in the seat this browser holds.
    page.goto(f"{live_server.url}/join#code={created.join_codes['russia']}")
    expect(page.get_by_test_id("continue")).to_contain_text("Continue as Boris")
    page.get_by_test_id("continue").click()
    expect(page.get_by_test_id("identity")).to_contain_text("Boris · Russia")


def test_a_dropped_connection_comes_back_and_catches_up(live_server, exercises, watched):
    created = exercises.create("demo")
    base = live_server.url
    watched.allow("ERR_INTERNET_DISCONNECTED")
    ukraine = watched.page(label="ukraine")
    join(ukraine, f"{base}/join#code={created.join_codes['ukraine']}", "Olena")
    russia = watched.page(label="russia")
    join(russia, f"{base}/join#code={created.join_codes['russia']}", "Dmitri")

    ukraine.context.set_offline(True)
    status = ukraine.get_by_test_id("connection")
    expect(status).to_have_attribute("data-status", "reconnecting")
    expect(status).to_contain_text("reconnecting")
    russia.locator("#composer-text").fill("Sent while Kyiv was offline")
    russia.locator("#composer-text").press("Enter")
    expect(russia.locator(".msg-text", has_text="Sent while Kyiv was offline")).to_be_visible()
    # While offline a message waits, on its way (the Send button busy), and goes once the connection is back.
    ukraine.locator("#composer-text").fill("Still here?")
    ukraine.locator("#composer-text").press("Enter")
    expect(ukraine.locator(".composer button[type=submit]")).to_have_attribute("aria-busy", "true")
    expect(ukraine.locator("#composer-text")).to_have_value("")

    ukraine.context.set_offline(False)
    expect(status).to_contain_text("Reconnected — caught up on 1 missed event", timeout=15_000)
    expect(ukraine.locator(".msg-text", has_text="Sent while Kyiv was offline")).to_be_visible()
    assert ukraine.locator(".msg-text", has_text="Sent while Kyiv was offline").count() == 1
    expect(russia.locator(".msg-text", has_text="Still here?")).to_be_visible(timeout=15_000)
    expect(ukraine.locator(".msg-text", has_text="Still here?")).to_have_count(1)
    expect(russia.locator(".msg-text", has_text="Still here?")).to_have_count(1)
