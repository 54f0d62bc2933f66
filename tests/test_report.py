"""The after-action report: for each perspective, everything it was told and nothing else, in one file that
opens offline (HTML) or prints (PDF), from the console's REST call and from the command line.

A scripted exercise on the demo deck puts a unique marker in every kind of place something private can be
(each chat channel, a back-channel, private signals, proposals, injects to some, the event list's notes, a
free move and its ruling, private indicators and relations, bookmarks and notes, private briefs); each
marker has the set of perspectives that were told of it. A second deck is played more briefly the same way.
"""

from __future__ import annotations

import dataclasses
import re
import zlib
from datetime import datetime, timedelta, timezone
from html import unescape

import pytest

from facilitator import create_app
from facilitator.engine import secret_cards
from facilitator.engine.audience import UMPIRE_ACTOR
from facilitator.engine.visibility import perspective_for
from facilitator.extensions import services
from facilitator.report import build_report, charts, render_html
from facilitator.schemas.commands import load_command

from .conftest import migrated_url

U, O, P = "umpire", "observers", "public"
UA, RU, TR, UN = "d:ukraine", "d:russia", "d:turkey", "d:un"
DEMO = (U, O, P, UA, RU, TR, UN)
ALL = frozenset(DEMO)
TABLE = frozenset({U, O, UA, RU, TR, UN})  # the corridor: its parties, its mediators and the observers
HOSTILE = ("<script>alert(1)</script>", "<img src=x onerror=alert(2)>", "Olena <b onmouseover=alert(3)>")


class Game:
    """An exercise played through the exercise service, each command a little later than the one before."""

    def __init__(self, deck_id: str, title: str):
        self.svc = services().exercises
        self.created = self.svc.create(deck_id, title)
        self.id = self.created.id
        self.deck = self.svc.deck(self.id)
        self.at = datetime.now(timezone.utc) + timedelta(minutes=1)
        self.members = {}
        for d in self.deck.delegations:
            name = HOSTILE[2] if d.id == "ukraine" else f"{d.name} lead"
            identity, token = self.svc.join(self.created.join_codes[d.id], name)
            self.members[d.id] = (identity.actor, token)

    def actor(self, delegation: str):
        return self.members[delegation][0]

    def token(self, delegation: str) -> str:
        return self.members[delegation][1]

    def do(self, actor, **payload):
        self.at += timedelta(seconds=41)
        command, _ = load_command(payload)
        return self.svc.execute(self.id, command, actor, at=self.at)

    def umpire(self, **payload):
        return self.do(UMPIRE_ACTOR, **payload)

    def say(self, delegation: str | None, channel: str, text: str):
        return self.do(self.actor(delegation) if delegation else UMPIRE_ACTOR, type="post_message",
                       channel=channel, text=text)


def play_demo() -> tuple[Game, dict[str, frozenset]]:
    """The scripted demo exercise, and which perspectives were told of each marker."""
    g = Game("demo", "Corridor drill")
    seen: dict[str, frozenset] = {}

    def mark(marker: str, readers) -> str:
        seen[marker] = frozenset(readers)
        return marker

    g.umpire(type="set_firing", automatic=False)
    g.umpire(type="advance_phase")
    g.say("ukraine", "delegation:ukraine", mark("MK02 Kyiv's own line", {U, UA}))
    g.umpire(type="advance_phase")
    g.say("ukraine", "plenary", mark("MK01 good morning to all", ALL))
    g.say("russia", "delegation:russia", mark("MK03 Moscow's own line", {U, RU}))
    g.say("russia", "table:corridor", mark("MK04 at the corridor table", TABLE))
    g.say("turkey", "table:brokers", mark("MK05 between the brokers", {U, O, TR, UN}))
    g.say(None, "umpire", mark("MK06 control's own channel", {U}))
    g.say(None, "delegation:russia", mark("MK07 control to Moscow", {U, RU}))
    for text in HOSTILE[:2]:
        g.say("turkey", "plenary", text)
    opened = g.do(g.actor("russia"), type="open_backchannel", delegations=["turkey"])
    channel = opened.events[0].payload.channel
    g.say("turkey", channel, mark("MK08 Ankara and Moscow only", {U, RU, TR}))
    g.do(g.actor("russia"), type="play_signal", card="ru-safe-passage")
    g.do(g.actor("russia"), type="play_signal", card="ru-port-pause", to=["ukraine"])
    mark("Quietly pause strikes on the ports", {U, UA, RU})
    g.do(g.actor("ukraine"), type="play_signal", card="ua-intel-share", to=["un"])
    mark("Brief the UN on Russian naval movements", {U, UA, UN})
    g.do(g.actor("ukraine"), type="play_signal", card="ua-demining-pledge")  # answers Russia's first, in kind
    g.do(g.actor("turkey"), type="play_signal", card="tr-host-offer")
    g.do(g.actor("ukraine"), type="draft_proposal", table="corridor", title=mark("MK09 the corridor deal", ALL),
         clauses=[{"clause_type": "safe-route", "terms": mark("MK10 from Odesa to the Bosporus", ALL)},
                  {"clause_type": "maritime-truce", "terms": ""}])
    g.do(g.actor("russia"), type="draft_proposal", table="corridor", title=mark("MK11 a draft left open", TABLE),
         clauses=[{"clause_type": "joint-inspection", "terms": mark("MK12 inspectors' terms", TABLE)}])
    g.do(g.actor("russia"), type="sign_proposal", proposal=1)
    g.do(g.actor("ukraine"), type="sign_proposal", proposal=1)  # in force: its title and terms become public
    g.umpire(type="fire_inject", inject="warships-report")
    mark("Intelligence: warships shadow the route", {U, UA})
    g.umpire(type="fire_inject", to=["russia"], title=mark("MK13 Moscow calls", {U, RU}),
             text=mark("MK14 hold the line on exports", {U, RU}))
    g.say("russia", "delegation:russia", "We hold the line.")
    g.umpire(type="add_inject", inject={"title": mark("MK15 a naval drill", ALL), "text": mark("MK16 ships", ALL),
                                        "controller_note": mark("MK17 watch the tension", {U}),
                                        "expected_action": mark("MK18 a call for calm", {U})})
    row = next(r for r in g.svc.state(g.id).injects.rows if r.title.startswith("MK15"))
    g.umpire(type="fire_inject", inject=row.id)
    g.do(g.actor("ukraine"), type="submit_move", action=mark("MK19 demine the channel", {U, UA}),
         result=mark("MK20 ships sail", {U, UA}), reasons=mark("MK21 pilots are ready", {U, UA}))
    g.umpire(type="adjudicate_move", move=1, ruling="approved", odds=70,
             outcome=mark("MK22 pilots guide two ships", {U, UA}), indicators=[{"indicator": "grain", "delta": 5}],
             reason="demining")
    g.umpire(type="adjust_indicator", indicator="ua-support", delta=-7, reason=mark("MK23 support wavers", {U, UA}))
    g.umpire(type="adjust_indicator", indicator="escalation", delta=60, reason=mark("MK24 a drill at sea", ALL))
    mark("consider a contingency inject", {U})  # the threshold crossed: exercise control's alert
    g.umpire(type="adjust_relation", between=["russia", "turkey"], trust=-5, reason=mark("MK25 a cold call",
                                                                                      {U, RU, TR}))
    g.umpire(type="draw_ceasefire_risk")
    mark("Risk draws against their odds", {U})
    moment = g.svc.state(g.id).seq
    g.umpire(type="add_bookmark", at=moment, label=mark("MK26 look here, everyone", ALL), shared=True)
    g.umpire(type="add_bookmark", at=moment, label=mark("MK27 kept by control", {U}))
    g.umpire(type="add_note", at=moment, text=mark("MK28 Russia bluffed", {U}))
    g.umpire(type="add_bookmark", at=moment - 1, label=HOSTILE[0], shared=True)
    g.umpire(type="advance_phase")
    g.umpire(type="end_exercise")
    g.umpire(type="add_note", at=moment, text=mark("MK29 written during the debrief", {U}))
    deck = g.deck
    for d in deck.delegations:  # private briefs, objectives and red lines: their own delegation's and control's
        for goal in (*d.objectives, *d.red_lines):
            mark(getattr(goal, "text", goal), {U, f"d:{d.id}"})
    return g, seen


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    folder = tmp_path_factory.mktemp("report")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("FACILITATOR_INSTANCE", str(folder / "instance"))
        app = create_app({"TESTING": True, "DATABASE_URL": migrated_url(folder / "report.sqlite3")})
    with app.app_context():
        game, seen = play_demo()
    yield app, game, seen
    app.extensions["facilitator"].db.dispose()


def get(app, game, key: str | None, token: str | None = None, fmt: str | None = None):
    query = "&".join(f"{k}={v}" for k, v in (("as", key), ("format", fmt)) if v)
    headers = {"Authorization": f"Bearer {token or game.created.umpire_token}"}
    return app.test_client().get(f"/api/exercises/{game.id}/report?{query}", headers=headers)


_reports: dict = {}


def report(world, key: str) -> str:
    app, game, _ = world
    if (game.id, key) not in _reports:
        response = get(app, game, key)
        assert response.status_code == 200, response.get_data(as_text=True)
        _reports[game.id, key] = response.get_data(as_text=True)
    return _reports[game.id, key]


def text_of(html: str) -> str:
    """What a reader sees: the text, markup and entities undone."""
    return unescape(re.sub(r"<[^>]+>", " ", html))


@pytest.mark.parametrize("key", DEMO)
def test_each_report_holds_what_its_perspective_was_told_and_nothing_else(world, key):
    _, game, seen = world
    html = report(world, key)
    shown = text_of(html)
    missing = [m for m, readers in seen.items() if key in readers and m not in shown]
    leaked = [m for m, readers in seen.items() if key not in readers and m in shown]
    assert not missing, f"{key}: missing {missing}"
    assert not leaked, f"{key}: shows what it was not told: {leaked}"
    # The timeline is exactly the events the perspective was told of (connections aside), in order.
    with world[0].app_context():
        told = services().exercises.events(game.id, perspective_for(key, game.deck))
    expected = [e.seq for e in told if not e.type.startswith("participant_conn") and e.type != "participant_disconnected"]
    timeline = html.split('id="timeline"', 1)[1]
    assert [int(n) for n in re.findall(r'<div class="ev[^"]*" data-seq="(\d+)"', timeline)] == expected


def test_the_umpire_report_has_every_section_charts_and_the_debrief(world):
    html = report(world, U)
    for section in ("overview", "situation", "agreements", "signals", "injects", "moves", "ceasefire", "bookmarks",
                    "delegations", "debrief", "timeline"):
        assert f'<section id="{section}"' in html or f'<section class="cover" id="{section}"' in html, section
    _, game, _ = world
    deck = game.deck
    pairs = len(deck.relations)
    assert html.count("<svg ") == len(deck.indicators) + pairs  # one chart per indicator, one per pair
    shown = text_of(html)
    for question in deck.debrief:
        assert getattr(question, "question", question) in shown
    assert "Odds 70%, roll" in shown  # the ruling with its odds and roll
    assert re.search(r"\d+ draws?; by their odds, \d+\.\d incidents were to be expected, and \d+ happened", shown)
    assert "Ukraine answered Russia's “Declare safe passage for grain ships”" in shown
    assert "Russia – Turkey" in shown and "MK25 a cold call" in shown.split("The situation over time", 1)[1]
    assert "Played time" in shown and re.search(r"\d:\d\d:\d\d", shown)


def test_objectives_and_red_lines_are_assessed_for_those_who_may_read_them(world):
    """Once the exercise has ended: exercise control sees every delegation's, a delegation its own, the
    public and the observers none (nothing was revealed to the room here)."""
    not_met = "No agreement in force has “Joint inspection centre”"  # Russia's, Turkey's and the UN's measure
    met = "“A safe sea route for grain ships” is in force (agreement #1"  # Ukraine's
    umpire = text_of(report(world, U))
    assert '<section id="objectives"' in report(world, U) and not_met in umpire and met in umpire
    ukraine = text_of(report(world, UA))
    assert met in ukraine and not_met not in ukraine
    russia = text_of(report(world, RU))
    assert not_met in russia and met not in russia
    for key in (P, O):
        assert '<section id="objectives"' not in report(world, key)


def test_a_delegation_sees_its_own_pairs_indicators_and_no_debrief_of_control(world):
    html = report(world, TR)
    shown = text_of(html)
    assert html.count("<svg ") == 2 + 3  # escalation and grain (public), its pairs with Russia, Ukraine and the UN
    assert "Ukrainian public support" not in shown and "Risk draws" not in shown
    public = text_of(report(world, P))
    assert "Trust at start" not in public  # no pair is public
    assert "Ukraine answered Russia's “Declare safe passage for grain ships”" in public  # a public answer


def test_hostile_text_is_shown_as_text(world):
    for key in (U, UA, P):
        html = report(world, key)
        tags = re.findall(r"<[^>]*>", html)
        assert not [t for t in tags if re.match(r"<\s*(script|img|iframe|object|embed|link|b\s)", t, re.I)]
        assert not [t for t in tags if re.search(r"\son[a-z]+\s*=", t, re.I)]
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
        assert "&lt;img src=x onerror=alert(2)&gt;" in html
    assert "Olena &lt;b onmouseover=alert(3)&gt;" in report(world, UA)  # a member's name, as signer


def test_the_html_is_self_contained(world):
    html = report(world, U)
    assert not re.search(r"""(src|href)\s*=\s*["']?(https?:|//)""", html)
    assert "@import" not in html and "url(http" not in html and "<link" not in html
    assert "@page" in html and "size: A4" in html and "break-before: page" in html


def test_rest_answers_by_the_replay_rules(world):
    app, game, _ = world
    ua, observer = game.token("ukraine"), game.created.observer_code
    response = get(app, game, "d:ukraine", ua)
    assert response.status_code == 200 and response.mimetype == "text/html"
    assert response.headers["Content-Disposition"].startswith("inline;")
    assert "default-src 'none'" in response.headers["Content-Security-Policy"]
    assert get(app, game, None, ua).get_data() == response.get_data() or \
        "MK02" in get(app, game, None, ua).get_data(as_text=True)  # its own perspective by default
    forbidden = get(app, game, "d:russia", ua)
    assert forbidden.status_code == 403
    assert forbidden.get_json()["error"] == {"code": "forbidden", "fields": {"as": "d:russia"},  # for any screen
                                             "message": "You may see this exercise as Ukraine or as the public."}
    unknown = get(app, game, "d:atlantis").get_json()["error"]
    assert unknown["code"] == "invalid" and unknown["fields"] == {"as": "unknown perspective"}
    assert unknown["message"] == ("This exercise has no perspective 'd:atlantis': see it as exercise control "
                                  "(umpire), as the observers (observers), as Ukraine (d:ukraine), as Russia "
                                  "(d:russia), as Turkey (d:turkey), as United Nations (d:un) or as the public "
                                  "(public).")
    assert get(app, game, "umpire", ua).status_code == 403
    assert get(app, game, "observers", observer).status_code == 403
    assert get(app, game, "public", observer).status_code == 200
    assert get(app, game, "d:atlantis", ua).status_code == 400
    assert get(app, game, "public", ua, fmt="docx").status_code == 400
    no_token = app.test_client().get(f"/api/exercises/{game.id}/report?as=public")
    assert no_token.status_code == 401
    assert app.test_client().get("/api/exercises/nope/report?as=public", headers={
        "Authorization": f"Bearer {ua}"}).status_code == 403  # a token of another exercise


def test_the_pdf_is_an_a4_attachment_with_pages(world):
    app, game, _ = world
    response = get(app, game, "d:ukraine", game.token("ukraine"), fmt="pdf")
    assert response.status_code == 200, response.get_data(as_text=True)
    assert response.mimetype == "application/pdf"
    assert response.headers["Content-Disposition"].startswith("attachment;")
    assert 'filename="corridor-drill-report-ukraine.pdf"' in response.headers["Content-Disposition"]
    pdf = response.get_data()
    assert pdf.startswith(b"%PDF-")
    objects = pdf_objects(pdf)
    assert len(re.findall(rb"/Type\s*/Page\b(?!s)", objects)) >= 5
    assert re.search(rb"/MediaBox\s*\[\s*0\s+0\s+595\.\d+\s+841\.\d+", objects)  # A4, in points


def pdf_objects(pdf: bytes) -> bytes:
    """The PDF's objects, its compressed streams inflated (WeasyPrint keeps even the page tree in them)."""
    inflated = [pdf]
    for stream in re.finditer(rb"stream\r?\n(.*?)\r?\nendstream", pdf, re.DOTALL):
        try:
            inflated.append(zlib.decompress(stream.group(1)))
        except zlib.error:
            pass
    return b"\n".join(inflated)


def test_the_pdf_of_a_long_log_gives_each_run_of_messages_one_line(world):
    """A long log's PDF would run to hundreds of pages of chat: there its timeline folds each run of messages
    into one line (the HTML report keeps every one)."""
    app, game, _ = world
    with app.app_context():
        report = build_report(services().replay, services().exercises, game.id, UMPIRE_ACTOR, "d:russia")
    full, compact = render_html(report), render_html(report, compact=True)
    messages = [e for e in report.timeline if e.type == "message_posted"]
    assert len(re.findall(r'data-seq="', full)) == len(report.timeline)
    rows = re.findall(r'data-seq="(\d+)"', compact)
    assert len(rows) < len(report.timeline) and not {str(e.seq) for e in messages if e.seq} <= set(rows)
    assert re.search(r"\d+ messages in \d+ channels?, until \d:\d\d:\d\d \(#\d+ to #\d+\)", compact)
    assert "the HTML report, and the replay, have every message" in text_of(compact)


def test_the_command_line_writes_the_report(world, tmp_path):
    app, game, _ = world
    runner = app.test_cli_runner()
    out = tmp_path / "russia.html"
    result = runner.invoke(args=["exercises", "report", game.id, "--as", "russia", "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert "Wrote the report" in result.output
    shown = text_of(out.read_text(encoding="utf-8"))
    assert "MK03 Moscow's own line" in shown and "MK02" not in shown
    pdf = tmp_path / "control.pdf"
    result = runner.invoke(args=["exercises", "report", game.id, "--out", str(pdf)])
    assert result.exit_code == 0, result.output
    assert pdf.read_bytes().startswith(b"%PDF-") and b"/Type /Page" in pdf_objects(pdf.read_bytes())
    result = runner.invoke(args=["exercises", "report", game.id, "--as", "atlantis", "--out", str(out)])
    assert result.exit_code == 1 and "no perspective 'atlantis'" in result.output
    assert "replay" not in result.output.casefold() and re.search(r"United Nations +un\n", result.output)
    result = runner.invoke(args=["exercises", "report", "no-such", "--out", str(out)])
    assert result.exit_code == 1 and "There is no exercise 'no-such'" in result.output
    result = runner.invoke(args=["exercises", "report", game.id, "--out", str(tmp_path / "r.txt")])
    assert result.exit_code == 1 and "--format" in result.output


def test_another_deck_keeps_each_delegations_secrets(world):
    """three-track-talks: a marker in each delegation's own channel, private injects, a private signal and a
    private indicator; each report shows its own and nobody else's."""
    app, _, _ = world
    with app.app_context():
        g = Game("three-track-talks", "Three tracks")
        seen: dict[str, frozenset] = {}
        g.umpire(type="set_firing", automatic=False)
        g.umpire(type="advance_phase")
        for n, d in enumerate(g.deck.delegations):
            text = f"MKT{n} {d.name} among themselves"
            g.say(d.id, f"delegation:{d.id}", text)
            seen[text] = frozenset({U, f"d:{d.id}"})
        g.umpire(type="advance_phase")
        g.umpire(type="advance_phase")
        for inject, to in (("in-peace-camp", "united-states"), ("in-depots", "russia"), ("in-passports", "ukraine")):
            title = f"MKI {inject} for {to}"
            g.umpire(type="fire_inject", inject=inject, title=title)
            seen[title] = frozenset({U, f"d:{to}"})
        g.do(g.actor("ukraine"), type="play_signal", card="ua-evidence-to-un", to=["un"])
        seen[g.deck.signal("ua-evidence-to-un").title] = frozenset({U, "d:ukraine", "d:un"})
        g.umpire(type="adjust_indicator", indicator="kremlin-standing", delta=-4, reason="MKK the Kremlin wobbles")
        seen["MKK the Kremlin wobbles"] = frozenset({U, "d:russia"})
        g.umpire(type="end_exercise")
        keys = [U, O, P] + [f"d:{d.id}" for d in g.deck.delegations]
    for key in keys:
        response = get(app, g, key)
        assert response.status_code == 200
        shown = text_of(response.get_data(as_text=True))
        assert [m for m, r in seen.items() if key in r and m not in shown] == [], key
        assert [m for m, r in seen.items() if key not in r and m in shown] == [], key


# ---- the report's words and layout ----------------------------------------------------------------------


def test_every_count_agrees_with_its_noun(world):
    """One proposal, one bookmark, one draw … in the singular; none and many in the plural."""
    app, game, _ = world
    with app.app_context():
        report = build_report(services().replay, services().exercises, game.id, UMPIRE_ACTOR, U)
    entry = report.timeline[0]
    one = dataclasses.replace(report, counts={k: 1 for k in report.counts}, presence_left_out=1,
                              signals=[{**report.signals[0], "plays": report.signals[0]["plays"][:1]}],
                              ceasefire={**report.ceasefire, "draws": report.ceasefire["draws"][:1]},
                              injects=[{**report.injects[0], "followed": [entry], "more": 1}])
    shown = " ".join(text_of(render_html(one)).split())
    for words in ("1 event ", "1 signal ", "1 proposal, 1 in force", "1 inject ", "1 adjudicated move ",
                  "1 risk draw ", "1 bookmark or note ", "1 connection or disconnection left out",
                  "1 signal played", "1 draw; by their odds", "and 1 more event before the next inject"):
        assert words in shown, words
    assert not re.search(r"(?<![\d.,#])1 (?:adjudicated |risk )?(?:events|signals|proposals|injects|moves|draws|"
                         r"bookmarks|connections|messages|channels|rows)\b", shown)
    runs = render_html(dataclasses.replace(report, timeline=[entry, *[dataclasses.replace(
        entry, seq=900 + n, type="message_posted", channel="plenary") for n in range(2)]]), compact=True)
    assert "2 messages in 1 channel," in text_of(runs)
    many = " ".join(text_of(render_html(dataclasses.replace(report, counts={k: 2 for k in report.counts}))).split())
    assert "2 proposals, 2 in force" in many and "2 bookmarks and notes" in many and "2 adjudicated moves" in many
    assert "0 risk draws" in " ".join(text_of(render_html(dataclasses.replace(
        report, counts={k: 0 for k in report.counts}))).split())


def _label_boxes(svg: str, size: str, color: str) -> list[tuple[str, tuple[float, float, float, float]]]:
    """The texts of one font size and colour in a chart's SVG with the boxes they cover (x0, y0, x1, y1, y
    downwards)."""
    boxes = []
    for found in re.finditer(r'<text font-size="([\d.]+)px"[^>]*text-anchor="(\w+)" fill="([^"]+)" x="([\d.-]+)" '
                             r'y="([\d.-]+)"[^>]*>([^<]*)</text>', svg):
        px, anchor, fill, x, y, text = found.groups()
        if px != size or fill != color:
            continue
        x, y, width = float(x), float(y), charts._text_width(unescape(text), float(px))
        x0 = x - {"start": 0, "middle": width / 2, "end": width}[anchor]
        boxes.append((unescape(text), (x0, y - float(px) * 0.76, x0 + width, y + float(px) * 0.24)))
    return boxes


def _overlapping(boxes):
    return [(a, b) for i, (a, ba) in enumerate(boxes) for b, bb in boxes[i + 1:]
            if min(ba[2], bb[2]) > max(ba[0], bb[0]) and min(ba[3], bb[3]) > max(ba[1], bb[1])]


def test_chart_labels_never_overlap_however_short_the_phases():
    """Short phases late in a long exercise (Signing, Aftermath, a debrief) and moves a few seconds apart: the
    phases' names go on two rows, or shorten to their numbers (the page then lists them), and each move's number
    finds a spot of its own."""
    phases = [(0, "Phase 1: Briefing (10 min)"), (100, "Phase 2: Talks (25 min)"),
              (1500, "Phase 3: Signing (15 min)"), (1540, "Phase 4: Aftermath (10 min)"),
              (1560, "Phase 5: Debrief (5 min)"), (1570, "Phase 6: Farewell (5 min)")]
    points = [[0, 50, 0], [600, 55, 10], [605, 60, 11], [610, 58, 12], [612, 40, 13], [900, 40, 20],
              [1500, 80, 30], [1502, 82, 31], [1504, 84, 32], [1560, 100, 40], [1575, 98, 41]]
    marks = [(p[0], p[2], n) for n, p in enumerate(points[1:], 1)]
    drawn = [charts.indicator_chart("Escalation risk", points, 0, 100, 1600, phases, marks, [75]),
             charts.pair_chart("Russia – Ukraine", points, [[0, 1, 0], [605, 2, 11], [1502, 3, 31]],
                               ["none", "talking", "formal talks", "deal"], 1600, phases, marks)]
    for chart in drawn:
        names, numbers = _label_boxes(chart.svg, "6", charts.MUTED), _label_boxes(chart.svg, "6.5", charts.MARK)
        assert not _overlapping(names + numbers)
        assert sorted(int(n) for n, _ in numbers) == list(range(1, len(marks) + 1))  # each once
        assert {"Briefing (10 min)", "Talks (25 min)", "Signing (15 min)"} <= {n for n, _ in names}
        assert chart.numbered_phases and {"5", "6"} & {n for n, _ in names}
    roomy = charts.indicator_chart("Grain", points[:3], 0, 100, 3600, [(0, "Phase 1: Briefing (10 min)"),
                                                                      (1800, "Phase 2: Talks (25 min)")], [], [])
    assert not roomy.numbered_phases and [n for n, _ in _label_boxes(roomy.svg, "6", charts.MUTED)] == \
        ["Briefing (10 min)", "Talks (25 min)"]


def test_a_chart_that_numbers_its_phases_lists_them_under_it(world):
    app, game, _ = world
    with app.app_context():
        report = build_report(services().replay, services().exercises, game.id, UMPIRE_ACTOR, U)
    chart = {**report.charts[0], "phase_key": ["1 Briefing", "2 Talks", "3 Signing"]}
    html = render_html(dataclasses.replace(report, charts=[chart]))
    assert "Phases: 1 Briefing · 2 Talks · 3 Signing" in text_of(html)
    assert "Phases: 1 Briefing" not in text_of(render_html(report))  # the demo's charts name every phase


def test_the_pdf_contents_are_one_column_with_page_numbers_flush_right(world):
    """Each entry of the contents on a line of its own: its number, its title, dots, its page; every page
    number ends at the same place, and none runs into the next entry."""
    from weasyprint import HTML

    html = report(world, U)
    page = HTML(string=html).render().pages[0]
    entries = []

    def walk(box, nav=False, within=None):  # WeasyPrint's boxes of the first page, as laid out
        element = getattr(box, "element", None)
        nav = nav or (element is not None and element.tag == "nav")
        if nav and element is not None and element.tag == "li" and type(box).__name__ == "BlockBox":
            within = []
            entries.append(within)
        if within is not None and type(box).__name__ == "TextBox":
            within.append((box.text, box.position_x, box.position_x + box.width, box.position_y))
        for child in getattr(box, "children", None) or []:
            walk(child, nav, within)

    walk(page._page_box)
    assert len(entries) == html.split('<nav class="toc">', 1)[1].split("</nav>", 1)[0].count("<li>")
    lefts, rights, tops = set(), set(), []
    for n, texts in enumerate(entries, 1):
        marker, title, page_number = texts[0], texts[1], texts[-1]
        assert marker[0].strip() == f"{n}." and marker[2] <= title[1] + 0.5, texts[:2]
        assert page_number[0].isdigit() and page_number[1] > title[2], (title, page_number)
        assert {t[3] for t in texts} == {marker[3]}  # one line
        lefts.add(round(title[1], 1))
        rights.add(round(page_number[2], 1))
        tops.append(marker[3])
    assert len(lefts) == 1 and len(rights) == 1 and tops == sorted(tops)  # one column, numbers flush right


def test_a_secret_card_is_in_the_reports_that_may_see_it(world):
    """talking-about-talking deals Russia a secret card: its report and the umpire's show the card dealt, the
    other faces never; Ukraine's shows none until the debrief reveals Russia's objectives, and then shows it."""
    app, _, _ = world
    with app.app_context():
        g = Game("talking-about-talking", "Talking with a secret")
        g.umpire(type="set_firing", automatic=False)
        g.umpire(type="advance_phase")
        g.umpire(type="end_exercise")
        secret = next(s for s in g.deck.secrets if s.holder == "russia")
        dealt = secret_cards.dealt(g.svc.state(g.id), secret)
        others = [c.title for c in secret.cards if c.id != dealt.id]

    def shown(key: str) -> str:
        response = get(app, g, key)
        assert response.status_code == 200, response.get_data(as_text=True)
        return text_of(response.get_data(as_text=True))

    for key in (U, "d:russia"):
        text = shown(key)
        assert "Secret cards" in text and dealt.title in text and dealt.text.strip() in text, key
        assert dealt.objectives[0].text in text, key
        assert [t for t in others if t in text] == [], key
    for key in ("d:ukraine", P):
        text = shown(key)
        assert dealt.title not in text and "Secret cards" not in text, key
    with app.app_context():
        g.umpire(type="reveal_debrief", delegation="russia")
    for key in ("d:ukraine", P):
        text = shown(key)
        assert "Secret cards" in text and dealt.title in text and "revealed to the room" in text, key
        assert [t for t in others if t in text] == [], key


@pytest.mark.parametrize("key", (U, UA))
def test_what_moved_a_gauge_is_the_act_not_a_belief_it_also_moved(world, key):
    """Russia's safe-passage signal moves escalation and Ukraine's belief about Russia in one act: the
    escalation chart credits the signal, also in the reports of those told of the belief's move."""
    app, game, _ = world
    with app.app_context():
        built = build_report(services().replay, services().exercises, game.id,
                             perspective_for(key, game.deck), key)
    escalation = next(c for c in built.charts if c["id"] == "indicator:escalation")
    causes = [m["cause"] for m in escalation["moves"] if m["cause"] is not None]
    assert any("Declare safe passage" in cause.title for cause in causes), [c.title for c in causes]
    assert not [c.title for c in causes if c.type == "belief_changed"]
