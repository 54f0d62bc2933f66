"""The replay screen in Chromium: the state at a seq as the API gives it, playing, seeking (scrubber, address, keys),
stepping, jumping, perspectives one at a time and side by side, the charts, bookmarks, and who may see what."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path

from playwright.sync_api import Page, expect

from facilitator.engine import (AdjustIndicator, AdvancePhase, Clause, DraftProposal, EndExercise, FireInject,
                                PlaySignal, PostMessage, SignProposal)
from facilitator.engine.adjudication import AdjudicateMove, SubmitMove
from facilitator.engine.bookmarks import AddBookmark
from facilitator.engine.audience import UMPIRE_ACTOR
from tests.realtime_helpers import http

from flows import ROOT, open_console
from test_accessibility import violations

SHOTS = ROOT / "docs" / "screenshots"
DESKTOP = {"width": 1366, "height": 768}
PHONE = {"width": 390, "height": 844}
LAPTOP = {"width": 1024, "height": 768}
INTEL = "Brief the UN on Russian naval movements"  # Ukraine's private signal to the UN: Russia never knew


@dataclass
class Played:
    id: str
    umpire_token: str
    observer_code: str
    tokens: dict  # delegation -> a member's token
    seqs: dict    # what happened -> its seq


def play_a_session(exercises) -> Played:
    """A short exercise played over 35 minutes of exercise time (the commands are dated, so played time is real):
    phases, chat, public and private signals, an inject to one delegation, an agreement, an indicator moved, a
    free move adjudicated, the end."""
    created = exercises.create("demo", title="Grain corridor, replayed")
    members = {d: exercises.join(created.join_codes[d], name) for d, name in
               (("ukraine", "Olena"), ("russia", "Dmitri"), ("turkey", "Ayşe"))}
    actor = {d: identity.actor for d, (identity, _) in members.items()}
    start = datetime.now(timezone.utc) - timedelta(hours=1)
    seqs = {}

    def run(name, command, who, minute):
        seqs[name] = exercises.execute(created.id, command, who, at=start + timedelta(minutes=minute)).seq

    run("briefing", AdvancePhase(), UMPIRE_ACTOR, 0)
    run("hello", PostMessage("plenary", "Good morning, colleagues."), actor["ukraine"], 1)
    run("line", PostMessage("delegation:ukraine", "Our line: the corridor first."), actor["ukraine"], 2)
    run("prisoners", PlaySignal("ua-prisoner-offer", to=("russia",)), actor["ukraine"], 3)
    run("talks", AdvancePhase(), UMPIRE_ACTOR, 10)
    run("warships", FireInject(inject="warships-report"), UMPIRE_ACTOR, 11)
    run("intel", PlaySignal("ua-intel-share", to=("un",)), actor["ukraine"], 12)
    run("route", PostMessage("table:corridor", "We can talk about the route."), actor["russia"], 13)
    run("pause", PlaySignal("ru-port-pause", to=("ukraine",)), actor["russia"], 15)
    run("draft", DraftProposal("corridor", "Grain corridor", (Clause("safe-route", "From Odesa"),)),
        actor["ukraine"], 18)
    run("ua-signs", SignProposal(1), actor["ukraine"], 19)
    run("ru-signs", SignProposal(1), actor["russia"], 21)
    run("calm", AdjustIndicator("escalation", -10, "the corridor holds"), UMPIRE_ACTOR, 22)
    run("escort", SubmitMove("Escort the first convoy with Turkish frigates"), actor["turkey"], 24)
    run("ruling", AdjudicateMove(1, "approved", outcome="The convoy sails."), UMPIRE_ACTOR, 26)
    run("host", PlaySignal("tr-host-offer"), actor["turkey"], 28)
    run("signing", AdvancePhase(), UMPIRE_ACTOR, 30)
    run("end", EndExercise(), UMPIRE_ACTOR, 35)
    return Played(created.id, created.umpire_token, created.observer_code,
                  {d: token for d, (_, token) in members.items()}, seqs)


def api_replay(base: str, played: Played, token: str, key: str, seq: int) -> dict:
    reply = http(base, "GET", f"/api/exercises/{played.id}/replay?as={key}&seq={seq}", token=token)
    assert reply.status == 200, reply.body
    return reply.body


def ready_at(page: Page, seq: int) -> None:
    expect(page.get_by_test_id("replay")).to_have_attribute("data-seq", str(seq))


def seq_of(page: Page) -> int:
    return int(page.get_by_test_id("replay").get_attribute("data-seq"))


def fragment(page: Page) -> dict:
    return dict(re.findall(r"([a-z]+)=([^&]*)", page.url.split("#", 1)[1]))


def wait_until(condition, page: Page, seconds: float = 10) -> None:
    """Poll ``condition`` (the page's CSP forbids the string evaluation ``wait_for_function`` does)."""
    for _ in range(int(seconds * 20)):
        if condition():
            return
        page.wait_for_timeout(50)
    raise AssertionError("the page never got there")


def shoot(page: Page, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.wait_for_timeout(200)
    page.screenshot(path=str(SHOTS / f"{name}.png"))


def no_horizontal_scroll(page: Page) -> None:
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1"), page.viewport_size


def test_the_umpire_replays_plays_seeks_steps_compares_and_bookmarks(live_server, exercises, watched):
    played = play_a_session(exercises)
    base = live_server.url
    page = watched.page(DESKTOP, label="umpire replay")

    # A link opens the replay at a moment: the state shown is the API's at that seq.
    at = played.seqs["calm"]
    page.goto(f"{base}/replay#token={played.umpire_token}&exercise={played.id}&as=umpire&seq={at}")
    ready_at(page, at)
    assert "token" not in page.url  # the umpire's key is kept in the browser, not in the address bar
    api = api_replay(base, played, played.umpire_token, "umpire", at)
    for indicator in api["state"]["indicators"]:
        expect(page.locator(f".rp-view .indicator[data-indicator='{indicator['id']}'] .indicator-value")) \
            .to_have_text(str(indicator["value"]))
    expect(page.locator(".rp-view .played")).to_have_count(len(api["state"]["signals"]))
    expect(page.locator(".rp-view .proposal--in_force")).to_contain_text("Grain corridor")
    expect(page.get_by_test_id("replay-time")).to_have_text("0:22:00")
    expect(page.get_by_test_id("replay-seq")).to_have_text(f"#{at}")
    shoot(page, "replay-desktop")
    no_horizontal_scroll(page)

    # Step by event with the arrow keys (the umpire sees every event), and jump to the next agreement.
    page.keyboard.press("ArrowRight")
    ready_at(page, at + 1)
    page.keyboard.press("ArrowLeft")
    ready_at(page, at)
    page.get_by_label("Jump to", exact=True).select_option("phase")
    page.keyboard.press("Shift+ArrowRight")
    ready_at(page, played.seqs["signing"])
    assert fragment(page)["kind"] == "phase"
    page.keyboard.press("Shift+ArrowLeft")
    ready_at(page, played.seqs["talks"])

    # Back and forward go through the moments visited; a changed address seeks.
    page.go_back()
    ready_at(page, played.seqs["signing"])
    page.go_forward()
    ready_at(page, played.seqs["talks"])
    page.evaluate(f"location.hash = location.hash.replace(/seq=\\d+/, 'seq={played.seqs['draft']}')")
    ready_at(page, played.seqs["draft"])

    # The scrubber: 0:03:00 played is Ukraine's offer of prisoners.
    scrub = page.get_by_label("Played time")
    scrub.fill("180")
    ready_at(page, played.seqs["prisoners"])
    assert "0:03:00 played" in scrub.get_attribute("aria-valuetext")

    # Playing at 60× from 0:11:00: the position moves on by itself (past 0:12:00); pause stops it.
    scrub.fill("660")
    ready_at(page, played.seqs["warships"])
    page.get_by_label("Speed").select_option("60")
    page.get_by_role("button", name="Play").click()
    expect(page.get_by_role("button", name="Pause")).to_be_visible()
    wait_until(lambda: seq_of(page) > played.seqs["intel"], page)
    page.keyboard.press("Space")
    expect(page.get_by_role("button", name="Play")).to_be_visible()
    assert fragment(page)["speed"] == "60"
    stopped = seq_of(page)
    page.wait_for_timeout(400)
    assert seq_of(page) == stopped

    # Ukraine and Russia side by side: what Ukraine knew that Russia did not is marked.
    page.get_by_label("Seen by", exact=True).select_option("d:ukraine")
    expect(page.get_by_test_id("replay")).to_have_attribute("data-as", "d:ukraine")
    page.get_by_label("Side by side with").select_option("d:russia")
    expect(page.get_by_test_id("replay")).to_have_attribute("data-vs", "d:russia")
    seek_url = f"{base}/replay#exercise={played.id}&as=d:ukraine&vs=d:russia&seq={played.seqs['ruling']}&speed=60"
    page.goto(seek_url)
    ready_at(page, played.seqs["ruling"])
    ukraine = page.locator(".rp-view[data-perspective='d:ukraine']")
    russia = page.locator(".rp-view[data-perspective='d:russia']")
    intel = ukraine.locator(".played.rp-only", has_text=INTEL)
    expect(intel).to_be_visible()
    expect(intel).to_contain_text("only Ukraine")
    expect(russia.locator(".played", has_text=INTEL)).to_have_count(0)
    expect(ukraine.locator(".inject-item.rp-only")).to_contain_text("warships")
    expect(page.get_by_test_id("replay-legend")).to_contain_text("known only to Russia")
    expect(page.locator(".rp-chat .channel.rp-only[data-channel='delegation:ukraine']")).to_contain_text("only Ukraine")
    ukraine.locator(".card", has=page.locator(".played")).first.scroll_into_view_if_needed()
    shoot(page, "replay-side-by-side")
    no_horizontal_scroll(page)
    page.set_viewport_size(LAPTOP)  # a school laptop: the two columns and the chat still fit
    no_horizontal_scroll(page)
    shoot(page, "replay-side-by-side-1024x768")
    page.set_viewport_size(DESKTOP)
    assert not violations(page, "replay, side by side")

    # The charts: a point is an event that moved the value; clicking it goes there.
    page.get_by_role("tab", name="Charts").click()
    canvas = page.locator(".rp-chart[data-series='indicator:escalation'] canvas")
    expect(canvas).to_be_visible()
    expect(canvas).to_have_attribute("aria-label", re.compile(r"^Escalation risk, from 0 to 100: 55 at 0:00:00; "))
    wait_until(lambda: page.evaluate("""() => {
      const c = document.querySelector(".rp-chart[data-series='indicator:escalation'] canvas");
      return Boolean(c && window.Chart && window.Chart.getChart(c));
    }"""), page)
    point = page.evaluate("""() => {
      const canvas = document.querySelector(".rp-chart[data-series='indicator:escalation'] canvas");
      const chart = window.Chart.getChart(canvas);
      const data = chart.data.datasets[0].data;
      const i = data.findIndex((p) => p.seq && p.seq > 0);
      const el = chart.getDatasetMeta(0).data[i];
      return {x: el.x, y: el.y, seq: data[i].seq};
    }""")
    box = canvas.bounding_box()
    page.mouse.click(box["x"] + point["x"], box["y"] + point["y"])
    ready_at(page, point["seq"])
    shoot(page, "replay-charts")

    # Bookmarks: the umpire marks the moment, shared; it joins the moments of every perspective.
    page.get_by_role("tab", name="Moments").click()
    page.get_by_label("Label").fill("Russia learns of the convoy")
    page.get_by_label("Shared: every replay").check()
    page.get_by_role("button", name=f"Bookmark #{point['seq']}").click()
    mark = page.locator(".rp-moment--bookmark", has_text="Russia learns of the convoy")
    expect(mark).to_be_visible()
    page.get_by_label("Note (exercise control only)").fill("Ask Russia why it waited.")
    page.get_by_role("button", name=f"Add a note on #{point['seq']}").click()
    expect(page.locator(".rp-bookmark--note")).to_contain_text("Ask Russia why it waited.")
    assert not violations(page, "replay, moments and bookmarks")
    page.get_by_role("button", name="Go to #", exact=False).first.click()
    ready_at(page, point["seq"])
    member = http(base, "GET", f"/api/exercises/{played.id}/replay/timeline?as=d:russia", token=played.tokens["russia"])
    titles = [m["title"] for m in member.body["moments"] if m["kind"] == "bookmark"]
    assert titles == ["Russia learns of the convoy"]  # the note stays with exercise control

    # On a phone the two perspectives stack, the controls stay on screen.
    page.set_viewport_size(PHONE)
    page.get_by_role("tab", name="State").click()
    page.locator(".console-main").evaluate("(main) => { main.scrollTop = 0; }")
    page.wait_for_timeout(200)
    no_horizontal_scroll(page)
    first, second = ukraine.bounding_box(), russia.bounding_box()
    assert second["y"] >= first["y"] + first["height"] - 1  # one above the other
    for name in ("Play", "Next event", "Previous event"):
        expect(page.get_by_role("button", name=name)).to_be_in_viewport()
    shoot(page, "replay-phone")


def test_members_and_observers_replay_only_what_they_may_from_their_consoles(live_server, exercises, watched):
    played = play_a_session(exercises)
    base = live_server.url
    exercises.execute(played.id, AddBookmark(played.seqs["ru-signs"], "The corridor is agreed", shared=True), UMPIRE_ACTOR)
    exercises.execute(played.id, AddBookmark(played.seqs["ru-signs"], "Kept by control"), UMPIRE_ACTOR)

    # A member of Ukraine: the console's Replay link (the exercise has ended) opens Ukraine's own perspective.
    page = watched.page(DESKTOP, label="ukraine")
    open_console(page, f"{base}/play#exercise={played.id}&token={played.tokens['ukraine']}")
    link = page.get_by_test_id("replay-link")
    expect(link).to_be_visible()
    link.click()
    expect(page.get_by_test_id("replay")).to_have_attribute("data-as", "d:ukraine")
    options = page.get_by_label("Seen by", exact=True).locator("option")
    assert sorted(options.evaluate_all("(os) => os.map((o) => o.value)")) == ["d:ukraine", "public"]
    assert page.get_by_label("Side by side with").locator("option[value='d:russia']").count() == 0

    # Asking for Russia's perspective in the address: refused, with Ukraine's shown instead.
    page.goto(f"{base}/replay#exercise={played.id}&as=d:russia&seq={played.seqs['pause']}")
    ready_at(page, played.seqs["pause"])
    expect(page.get_by_test_id("replay")).to_have_attribute("data-as", "d:ukraine")
    expect(page.locator(".banner")).to_contain_text("not open to you")
    assert http(base, "GET", f"/api/exercises/{played.id}/replay?as=d:russia",
                token=played.tokens["ukraine"]).status == 403

    # Stepping moves through the events Ukraine was told of only.
    own = http(base, "GET", f"/api/exercises/{played.id}/replay/timeline?as=d:ukraine",
               token=played.tokens["ukraine"]).body["steps"]["seq"]
    here = own.index(played.seqs["pause"])
    page.get_by_role("button", name="Next event").click()
    ready_at(page, own[here + 1])
    expect(page.locator(".rp-view .played", has_text=INTEL)).to_be_visible()

    # Side by side with the public record: the private signals are Ukraine's alone.
    page.get_by_label("Side by side with").select_option("public")
    expect(page.locator(".rp-view[data-perspective='d:ukraine'] .played.rp-only", has_text=INTEL)).to_be_visible()
    expect(page.locator(".rp-view[data-perspective='public'] .played", has_text=INTEL)).to_have_count(0)

    # The shared bookmark is among the moments (not the one exercise control kept); clicking it goes there.
    page.get_by_role("tab", name="Moments").click()
    shared = page.locator(".rp-moment--bookmark")
    expect(shared).to_have_count(1)
    expect(shared).to_contain_text("The corridor is agreed")
    shared.click()
    ready_at(page, played.seqs["ru-signs"])
    page.get_by_role("tab", name="State").click()

    # The chat as it stood, channel by channel.
    page.locator(".rp-chat button[data-channel='delegation:ukraine']").click()
    expect(page.locator(".rp-messages .msg-text")).to_contain_text("Our line: the corridor first.")
    assert fragment(page)["channel"] == "delegation:ukraine"

    # An observer: the console links to the public replay, with its code.
    observer = watched.page(DESKTOP, label="observer")
    open_console(observer, f"{base}/observe#code={played.observer_code}")
    link = observer.get_by_test_id("replay-link")
    expect(link).to_be_visible()
    assert "as=public" in link.get_attribute("href") and "code=" in link.get_attribute("href")
    link.click()
    expect(observer.get_by_test_id("replay")).to_have_attribute("data-as", "public")
    assert observer.get_by_label("Seen by", exact=True).locator("option").count() == 1
    expect(observer.locator(".rp-view .played", has_text=INTEL)).to_have_count(0)

    # So does the projector, once the exercise has ended.
    projector = watched.page(DESKTOP, label="projector")
    projector.goto(f"{base}/projector#code={played.observer_code}")
    link = projector.get_by_test_id("replay-link")
    expect(link).to_be_visible()
    assert "as=public" in link.get_attribute("href") and "code=" in link.get_attribute("href")

    # The umpire's console links to the replay at any time.
    umpire = watched.page(DESKTOP, label="umpire")
    open_console(umpire, f"{base}/umpire#token={played.umpire_token}")
    assert "as=umpire" in umpire.get_by_test_id("replay-link").get_attribute("href")
