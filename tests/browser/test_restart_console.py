"""After the server was down while the phase's clock ran: the umpire console says for how long and offers the
time back (a short outage) or the clock's resumption (a long one); participants see the clock as it stands and
"The server was restarted", never how long it was down. The outage is simulated on the database: the recorded
heartbeat moved back, then what a starting server does (``Schedule.recover``) while the consoles are open."""

from __future__ import annotations

import re
from datetime import timedelta

from playwright.sync_api import expect

from facilitator.engine import AdvancePhase
from facilitator.engine.audience import UMPIRE_ACTOR
from facilitator.services.exercises import now
from facilitator.services.schedule import Schedule, heartbeat
from flows import join, open_console, screenshot, tab


def consoles(live_server, exercises, watched, played_seconds: float):
    """The demo's first phase (10 minutes) opened ``played_seconds`` ago; the umpire's and a member's consoles."""
    created = exercises.create("demo")
    opened = now() - timedelta(seconds=played_seconds)
    exercises.execute(created.id, AdvancePhase(), UMPIRE_ACTOR, at=opened)
    umpire = watched.page(label="umpire")
    open_console(umpire, f"{live_server.url}/umpire#token={created.umpire_token}")
    russia = watched.page(label="russia")
    join(russia, f"{live_server.url}/join#code={created.join_codes['russia']}", "Pavel")
    return created, opened, umpire, russia


def test_after_a_short_outage_the_umpire_gives_the_lost_seconds_back(live_server, exercises, watched):
    created, _, umpire, russia = consoles(live_server, exercises, watched, played_seconds=120)
    heartbeat(exercises.db, now() - timedelta(seconds=20))
    assert Schedule(exercises).recover() == 2

    notice = umpire.locator(".outage-notice")
    expect(notice).to_contain_text(re.compile(r"The server was down for 20(\.\d)? s"))
    expect(notice).to_contain_text("the clock ran on meanwhile: the phase lost 20")
    screenshot(umpire, "umpire-outage-notice")
    countdown = russia.locator(".topbar .countdown .countdown-value")
    expect(countdown).to_have_text(re.compile(r"^0?7:[45]\d$"))  # 8 minutes left, less the 20 s down
    tab(russia, "Timeline")
    expect(russia.locator(".timeline")).to_contain_text("The server was restarted")

    notice.get_by_role("button", name=re.compile(r"^Give back 20(\.\d)? s$")).click()
    expect(notice).to_be_hidden()
    expect(countdown).to_have_text(re.compile(r"^0?8:[01]\d$"))
    tab(umpire, "Timeline")
    expect(umpire.locator(".timeline")).to_contain_text(re.compile(r"The server was down for 20(\.\d)? s"))
    expect(umpire.locator(".timeline")).to_contain_text(re.compile(r"Clock given back 20(\.\d)? s"))
    expect(russia.locator(".timeline")).to_contain_text(re.compile(r"Clock given back 20(\.\d)? s"))
    assert "down for" not in russia.content()  # how long: exercise control's
    assert exercises.state(created.id).clock.outage is None


def test_after_a_long_outage_the_clock_waits_paused_for_the_umpire(live_server, exercises, watched):
    created, opened, umpire, russia = consoles(live_server, exercises, watched, played_seconds=160)
    heartbeat(exercises.db, opened + timedelta(seconds=100))  # down a minute and more: past the 30 s threshold
    assert Schedule(exercises).recover() == 2

    notice = umpire.locator(".outage-notice")
    expect(notice).to_contain_text(re.compile(r"The server was down for 1 min( \d+ s)?\."))
    expect(notice).to_contain_text("The clock was paused as of the moment it went down")
    expect(russia.locator(".topbar .countdown")).to_contain_text("paused")
    expect(russia.locator(".topbar .countdown .countdown-value")).to_have_text(re.compile(r"^0?8:20$"))
    expect(notice.get_by_role("button", name=re.compile("Give back"))).to_have_count(0)  # nothing was lost

    notice.get_by_role("button", name="Resume clock").click()
    expect(notice).to_be_hidden()
    expect(russia.locator(".topbar .countdown")).not_to_contain_text("paused")
    assert "down for" not in russia.content()
