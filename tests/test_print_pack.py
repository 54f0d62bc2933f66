"""A deck's print pack (docs/teaching.md): every shipped deck renders every sheet, from the command line and the
route; each role sheet holds its own delegation's private brief and no other's; the umpire's packet holds every
inject's controller note; the handout holds nothing private; the paper choice sets @page; the instructor key
guards the private sheets."""

from __future__ import annotations

import copy
import re
from pathlib import Path

import pytest
import yaml
from markupsafe import escape

from facilitator.decks import deck_from_data, load_decks, load_notes
from facilitator.limits import Limiter, Rate
from facilitator.print_pack import UnknownSheet, render_sheet, sheet_names, style_source, write_pack

ROOT = Path(__file__).resolve().parent.parent
NOTES = load_notes(ROOT / "seeds")
LOADED = load_decks(ROOT / "scenarios", ROOT / "seeds")
DECKS = {deck_id: loaded.deck for deck_id, loaded in LOADED.items()}
KEY = "TEST-KEY0-ABCD"


def html_of(text: str) -> str:
    """``text`` as the pages hold it (autoescaped)."""
    return str(escape(text))


def private_texts(deck) -> dict[str, list[str]]:
    """Each delegation's private words: its private brief, objectives and red lines."""
    return {d.id: [t for t in [d.private_brief] + [g.text for g in d.objectives + d.red_lines] if t.strip()]
            for d in deck.delegations}


def teaching_deck(drop_teaching: bool = False):
    """The demo deck with a run sheet, roles, a map, a hypothetical card and a sourced brief (or, with
    ``drop_teaching``, with no teaching section at all)."""
    data = copy.deepcopy(yaml.safe_load((ROOT / "scenarios" / "demo.yaml").read_text(encoding="utf-8")))
    data.pop("teaching", None)
    if not drop_teaching:
        data["teaching"] = {
            "players": [6, 18], "minutes": 90,
            "learning_objectives": [{"id": "costly", "text": "Tell a costly signal from a cheap one.",
                                     "mechanics": "Answers count only in kind.",
                                     "signals": [data["signals"][0]["id"]], "injects": [data["injects"][1]["id"]],
                                     "debrief": [1]}],
            "roles": [{"name": "Chief negotiator", "does": "Leads at the corridor table."}],
            "run_sheet": {"before": ["Print a role sheet for each student."],
                          "steps": [{"minute": 0, "title": "Welcome", "say": "Join with your code.",
                                     "do": "Show the join sheet."},
                                    {"minute": 12, "title": "Talks", "say": "The table is open.", "do": "Advance."}],
                          "running_late": ["Skip the warships report."], "hot_wash": ["What surprised you?"],
                          "reality_check": "In July 2022 the grain deal was signed in Istanbul.",
                          "reality_sources": ["chances-negotiated-end#5"],
                          "model_limits": ["No insurers in the model."]}}
    data["map"] = {"file": "corridor.svg", "caption": "The grain corridor", "licence": "CC0"}
    data["signals"][0]["kind"] = "hypothetical"
    data["delegations"][0]["sources"] = ["kyiv-decides#1"]
    return deck_from_data(data, "demo.yaml", NOTES)


# ---- every deck, every sheet ------------------------------------------------------------------------------


@pytest.mark.parametrize("deck_id", sorted(DECKS))
def test_every_shipped_deck_renders_every_sheet(deck_id):
    deck = DECKS[deck_id]
    names = sheet_names(deck)
    assert names[:4] == ["index", "handout", "umpire", "roles"]
    assert names[4:] == [f"role-{d.id}" for d in deck.delegations]
    for name in names:
        html = render_sheet(deck, name, NOTES)
        assert html.startswith("<!DOCTYPE html>")
        assert html_of(deck.title) in html
        # Self-contained: no script, no stylesheet or image fetched, nothing from elsewhere.
        assert "<script" not in html and "<link" not in html
        assert not re.search(r"""(src|href)=["']?(https?:)?//""", html)
        assert 'style="' not in html  # inline styles would need their own CSP hashes
    index = render_sheet(deck, "index", NOTES)
    for name in names[1:]:
        assert f'href="{name}.html"' in index


@pytest.mark.parametrize("deck_id", sorted(DECKS))
def test_a_role_sheet_holds_its_own_private_brief_and_no_other(deck_id):
    deck = DECKS[deck_id]
    private = private_texts(deck)
    for d in deck.delegations:
        html = render_sheet(deck, f"role-{d.id}", NOTES)
        assert html_of(d.public_brief) in html
        for text in private[d.id]:
            assert html_of(text) in html, (d.id, text)
        for other, texts in private.items():
            if other == d.id:
                continue
            for text in texts:
                if text not in private[d.id]:
                    assert html_of(text) not in html, f"{other}'s private words on {d.id}'s sheet: {text[:60]}"
        for card_id in d.hand:
            assert html_of(deck.signal(card_id).title) in html
        for card in deck.signals:  # another delegation's hand stays off the sheet
            if card.id not in d.hand and all(card.title != deck.signal(c).title for c in d.hand):
                assert f"<h3>{html_of(card.title)}" not in html


@pytest.mark.parametrize("deck_id", sorted(DECKS))
def test_the_umpire_packet_holds_every_inject_and_its_controller_note(deck_id):
    deck = DECKS[deck_id]
    html = render_sheet(deck, "umpire", NOTES)
    for row in deck.injects:
        assert html_of(row.title) in html
        assert f'id="inject-{row.id}"' in html
        if row.controller_note:
            assert html_of(row.controller_note) in html
        if row.expected_action:
            assert html_of(row.expected_action) in html
    for risk in deck.ceasefire_risks:
        assert html_of(risk.title) in html
    for indicator in deck.indicators:
        for threshold in indicator.thresholds:
            assert html_of(threshold.note) in html
    for clause in deck.clause_types:
        assert html_of(clause.title) in html
    for q in deck.debrief:
        assert html_of(q.question) in html


@pytest.mark.parametrize("deck_id", sorted(DECKS))
def test_the_handout_holds_nothing_private(deck_id):
    deck = DECKS[deck_id]
    html = render_sheet(deck, "handout", NOTES)
    for texts in private_texts(deck).values():
        for text in texts:
            assert html_of(text) not in html
    for row in deck.injects:
        for secret in (row.controller_note, row.expected_action):
            if secret:
                assert html_of(secret) not in html
    for card in deck.signals:
        assert html_of(card.text) not in html
    for tab in ("Situation", "Brief", "Signals", "Proposals", "Moves", "Timeline"):
        assert f"<dt>{tab}</dt>" in html


def test_the_paper_sets_the_page_size():
    deck = DECKS["demo"]
    a4, letter = render_sheet(deck, "umpire", NOTES, "a4"), render_sheet(deck, "umpire", NOTES, "letter")
    assert "@page { size: A4; }" in a4 and "size: letter" not in a4
    assert "@page { size: letter; }" in letter and "size: A4" not in letter
    assert style_source("a4") != style_source("letter")
    with pytest.raises(ValueError):
        render_sheet(deck, "umpire", NOTES, "a3")


def test_an_unknown_sheet_is_refused_with_the_sheets_there_are():
    with pytest.raises(UnknownSheet, match="role-ukraine"):
        render_sheet(DECKS["demo"], "role-atlantis", NOTES)


# ---- what the sheets say ------------------------------------------------------------------------------------


def test_the_teaching_section_feeds_the_packet_and_the_role_sheets(tmp_path):
    deck = teaching_deck()
    (tmp_path / "corridor.svg").write_text('<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 10 10">'
                                           '<rect width="10" height="10"/></svg>', encoding="utf-8")
    packet = render_sheet(deck, "umpire", NOTES, maps_dir=tmp_path)
    for words in ("6 to 18 players", "1 h 30 min", "Print a role sheet for each student.", "Join with your code.",
                  "Skip the warships report.", "What surprised you?", "In July 2022 the grain deal was signed",
                  "No insurers in the model.", "Tell a costly signal from a cheap one.", "Answers count only in kind.",
                  "question 1", "The grain corridor", "data:image/svg+xml;base64,"):
        assert html_of(words) in packet, words
    assert "has no teaching section" not in packet
    role = render_sheet(deck, "role-ukraine", NOTES, maps_dir=tmp_path)
    assert "Chief negotiator" in role and "Head of delegation" not in role  # the deck's roles, not the default
    assert "hypothetical" in render_sheet(deck, f"role-{_holder(deck, deck.signals[0].id)}", NOTES)
    assert html_of("Whether and when to negotiate is Kyiv's call") in role  # the brief's source, on its reading list
    assert "[untitled]" not in role and "unknown," not in role  # the note-taker's remarks are not for students
    assert html_of(NOTES["kyiv-decides"]["facts"][0]["text"]) in role
    assert "data:image/svg+xml;base64," in role
    # A map named but missing: the packet says so, the role sheet leaves it out.
    missing = tmp_path / "none"
    assert "the file is missing" in render_sheet(deck, "umpire", NOTES, maps_dir=missing)
    assert "data:image" not in render_sheet(deck, "role-ukraine", NOTES, maps_dir=missing)


def _holder(deck, card_id: str) -> str:
    return next(d.id for d in deck.delegations if card_id in d.hand)


def test_without_a_teaching_section_the_packet_says_so_and_prints_the_rest():
    deck = teaching_deck(drop_teaching=True)
    assert deck.teaching is None
    packet = render_sheet(deck, "umpire", NOTES)
    assert "This deck has no teaching section" in packet
    assert "Event list (MSEL)" in packet and "Cease-fire risks" in packet and "Clause types" in packet
    role = render_sheet(deck, "role-ukraine", NOTES)
    assert "Head of delegation" in role and "Negotiator: Corridor talks (Istanbul)" in role and "Note-taker" in role


def test_a_card_is_told_in_words():
    deck = DECKS["demo"]
    html = render_sheet(deck, f"role-{_holder(deck, 'ru-safe-passage')}", NOTES)
    card = deck.signal("ru-safe-passage")
    for indicator, delta in card.effects.indicators.items():
        assert f"{deck.indicator(indicator).name} {delta:+d}" in html
    assert f"family “{card.family}”, weight {card.weight}" in html
    assert "possible later" in html  # reversible


# ---- the command line ---------------------------------------------------------------------------------------


def test_the_command_writes_every_sheet(runner, tmp_path):
    for deck_id, deck in DECKS.items():
        out = tmp_path / deck_id
        result = runner.invoke(args=["scenarios", "print", deck_id, "--out", str(out), "--paper", "letter"])
        assert result.exit_code == 0, result.output
        assert str(out / "index.html") in result.output
        assert sorted(p.name for p in out.iterdir()) == sorted(f"{n}.html" for n in sheet_names(deck))
        assert "@page { size: letter; }" in (out / "umpire.html").read_text(encoding="utf-8")
        assert (out / "role-" f"{deck.delegations[0].id}.html").stat().st_mode & 0o077 == 0  # private briefs


def test_the_command_refuses_an_unknown_deck(runner, tmp_path):
    result = runner.invoke(args=["scenarios", "print", "atlantis", "--out", str(tmp_path / "x")])
    assert result.exit_code == 1
    assert "no deck 'atlantis'" in result.output and "demo" in result.output
    assert not (tmp_path / "x").exists()


def test_write_pack_returns_the_index_first(tmp_path):
    written = write_pack(DECKS["demo"], tmp_path, NOTES)
    assert written[0].name == "index.html" and len(written) == len(sheet_names(DECKS["demo"]))


# ---- the route ----------------------------------------------------------------------------------------------


def test_the_route_serves_every_sheet_with_its_own_style_allowed(client):
    deck = DECKS["demo"]
    for name in sheet_names(deck):
        url = "/decks/demo/print" if name == "index" else f"/decks/demo/print/{name}"
        response = client.get(url + "?paper=letter")
        assert response.status_code == 200, url
        assert response.mimetype == "text/html"
        csp = response.headers["Content-Security-Policy"]
        assert f"style-src {style_source('letter')}" in csp and "script-src" not in csp
        assert "default-src 'none'" in csp
    index = client.get("/decks/demo/print").get_data(as_text=True)
    assert 'href="/decks/demo/print/umpire"' in index and 'href="/decks/demo/print?paper=letter"' in index
    assert client.get("/decks/demo/print/umpire").headers["Cache-Control"] == "no-store"


def test_the_route_refuses_unknown_decks_sheets_and_papers(client):
    assert client.get("/decks/atlantis/print").status_code == 404
    assert client.get("/decks/atlantis/print/umpire").status_code == 404
    assert client.get("/decks/demo/print/role-atlantis").status_code == 404
    assert client.get("/decks/demo/print?paper=a3").status_code == 400


def test_with_an_instructor_key_the_private_sheets_need_it(app, client):
    app.config["INSTRUCTOR_KEY"] = KEY
    for public in ("/decks/demo/print", "/decks/demo/print/handout"):
        assert client.get(public).status_code == 200
    index = client.get("/decks/demo/print").get_data(as_text=True)
    assert 'name="key"' in index and 'href="/decks/demo/print/umpire' not in index
    for private in ("umpire", "roles", "role-ukraine"):
        response = client.get(f"/decks/demo/print/{private}")
        assert response.status_code == 403
        assert html_of(DECKS["demo"].delegation("ukraine").private_brief) not in response.get_data(as_text=True)
        assert client.get(f"/decks/demo/print/{private}?key=wrong-key").status_code == 403
        assert client.get(f"/decks/demo/print/{private}?key={KEY.lower()}").status_code == 200
        assert client.get(f"/decks/demo/print/{private}", headers={"X-Instructor-Key": KEY}).status_code == 200
    # Given once, the key rides in the index's links to the private sheets.
    unlocked = client.get(f"/decks/demo/print?key={KEY}").get_data(as_text=True)
    assert f'href="/decks/demo/print/umpire?key={KEY}"' in unlocked and 'name="key"' not in unlocked
    assert "That instructor key is wrong" in client.get("/decks/demo/print?key=nope").get_data(as_text=True)


def test_wrong_instructor_keys_are_guesses(app, client):
    app.config["INSTRUCTOR_KEY"] = KEY
    app.extensions["facilitator"].limits.guesses = Limiter(Rate(burst=2, per_second=1e-6))
    assert client.get("/decks/demo/print/umpire").status_code == 403  # no key given: no guess spent
    assert client.get("/decks/demo/print/umpire?key=one").status_code == 403
    assert client.get("/decks/demo/print/umpire?key=two").status_code == 403
    assert client.get(f"/decks/demo/print/umpire?key={KEY}").status_code == 429  # refused before the check


def test_the_handout_gives_the_join_page_only_when_students_can_reach_it(app, client):
    assert "/join" not in client.get("/decks/demo/print/handout").get_data(as_text=True)  # no address configured
    assert "evil.example" not in client.get("/decks/demo/print/handout", headers={"Host": "evil.example"}).text
    app.config["PUBLIC_URL"] = "http://127.0.0.1:5000"  # this computer only: no use to students
    assert "/join" not in client.get("/decks/demo/print/handout").get_data(as_text=True)
    app.config["PUBLIC_URL"] = "http://192.168.1.20:5000"
    handout = client.get("/decks/demo/print/handout").get_data(as_text=True)
    assert "http://192.168.1.20:5000/join" in handout and '<svg viewBox' in handout


# ---- the run sheet names injects as the umpire sees them ------------------------------------------------------

TEACHING_DECKS = sorted(d for d, deck in DECKS.items() if deck.teaching and deck.teaching.run_sheet.steps)


def _section(html: str, section_id: str) -> str:
    """The HTML of ``<section id=section_id>`` in a page."""
    return html.split(f'<section id="{section_id}"', 1)[1].split("</section>", 1)[0]


def _visible(html: str) -> str:
    """The text a page shows: no tags (nor the ids in their attributes), entities decoded."""
    from html import unescape
    return unescape(re.sub(r"<[^>]+>", "", html))


def _named_injects(deck) -> set[str]:
    from facilitator.decks.references import ID_WORD, teaching_texts
    ids = {row.id for row in deck.injects}
    return {word for _, text in teaching_texts(deck) for word in ID_WORD.findall(text) if word in ids}


def test_the_run_sheets_name_injects_by_id():
    assert [d for d in TEACHING_DECKS if _named_injects(DECKS[d])] == [
        "kyiv-decides", "kyiv-decides-small", "talking-about-talking", "talking-about-talking-50",
        "three-track-talks", "three-track-talks-workshop"]
    assert sum(len(_named_injects(DECKS[d])) for d in TEACHING_DECKS) > 100


@pytest.mark.parametrize("deck_id", TEACHING_DECKS)
def test_the_run_sheet_shows_each_inject_it_names_by_its_number_and_title(deck_id):
    deck = DECKS[deck_id]
    numbers = {row.id: n for n, row in enumerate(deck.injects, 1)}
    named = _named_injects(deck)
    packet = render_sheet(deck, "umpire", NOTES)
    run_sheet = _visible(_section(packet, "run-sheet")) + _visible(_section(packet, "debrief"))
    objectives = _visible(_section(packet, "objectives"))
    for inject_id in named:
        label = f"#{numbers[inject_id]} {deck.inject(inject_id).title}"
        assert " ".join(label.split()) in " ".join((run_sheet + objectives).split()), label
        assert f'href="#inject-{inject_id}"' in packet  # linked to its row of the event list
    for inject in deck.injects:  # no id the umpire cannot see anywhere
        assert not re.search(rf"(?<![\w-]){re.escape(inject.id)}(?![\w-])", run_sheet + objectives), inject.id
    # The event list shows the same number on its row.
    for inject_id in named:
        row = packet.split(f'<tr id="inject-{inject_id}">', 1)[1].split("</tr>", 1)[0]
        assert f">#{numbers[inject_id]}</td>" in row


def test_kyiv_waits_is_fired_by_number_and_title():
    packet = _visible(_section(render_sheet(DECKS["kyiv-decides"], "umpire", NOTES), "run-sheet"))
    text = " ".join(packet.split())
    assert "fire #26 Contingency: Kyiv is told to hurry and give" in text
    assert "c-kyiv-waits" not in text and "hy-counteroffensive" not in text and "poll-autumn" not in text
    assert ("#21 Hypothetical: a counteroffensive breaks through or #22 Hypothetical: the counteroffensive "
            "stalls") in text


@pytest.mark.parametrize("deck_id", sorted(DECKS))
def test_the_packet_numbers_rows_as_the_umpire_console_does(deck_id):
    """The console numbers the deck's injects when an exercise is created (engine/injects.py); leaving out
    optional delegations must not renumber them, or the run sheet's "#26" would name another row."""
    from itertools import combinations

    from facilitator.decks.variants import leave_out
    from facilitator.engine.state import initial_state
    deck = DECKS[deck_id]
    packet = render_sheet(deck, "umpire", NOTES)
    console = [(r.number, r.id, r.title) for r in initial_state(deck).injects.rows]
    assert console == [(n, row.id, row.title) for n, row in enumerate(deck.injects, 1)]
    for number, inject_id, _ in console:
        assert f'<tr id="inject-{inject_id}">\n        <td data-label="Row" class="n">#{number}</td>' in packet
    data = LOADED[deck_id].data
    optional = [d.id for d in deck.delegations if d.optional]
    for k in range(1, len(optional) + 1):
        for gone in combinations(optional, k):
            smaller = deck_from_data(leave_out(data, gone), f"{deck_id}.yaml", NOTES)
            assert [(r.number, r.id) for r in initial_state(smaller).injects.rows] == \
                [(n, i) for n, i, _ in console], gone


# ---- the roles in a team ------------------------------------------------------------------------------------


def _roles_on(deck, delegation_id: str) -> list[str]:
    html = render_sheet(deck, f"role-{delegation_id}", NOTES)
    table = html.split("<h2>Roles in your team</h2>", 1)[1].split("</table>", 1)[0]
    return [_visible(cell) for cell in re.findall(r'<td data-label="Role">(.*?)</td>', table)]


def test_a_workshop_delegation_sees_only_the_roles_of_its_own_tables():
    deck = DECKS["three-track-talks-workshop"]
    ukraine, turkey, nato = (_roles_on(deck, d) for d in ("ukraine", "turkey", "nato"))
    assert "Track 3 strategic team" not in ukraine  # Ukraine has no seat at track 3
    assert {"Track 1 security team", "Track 2 political team", "Allied team", "Package keeper"} <= set(ukraine)
    assert not {"Allied team", "Track 3 strategic team", "Package keeper"} & set(turkey)
    assert {"Track 1 security team", "Track 1 humanitarian team", "Track 2 political team"} <= set(turkey)
    assert "Track 1 security team" not in nato and "Package keeper" not in nato
    for d in deck.delegations:  # every sheet keeps the head of delegation and the spokesperson
        assert {"Head of delegation", "Spokesperson and note-taker"} <= set(_roles_on(deck, d.id)), d.id
    # Each role is on exactly the sheets of the delegations seated at its tables (or named by it).
    for role in deck.teaching.roles:
        for d in deck.delegations:
            seated = any(t.id in role.tables and d.id in t.seated for t in deck.tables)
            expected = (not role.tables and not role.delegations) or seated or d.id in role.delegations
            assert (role.name in _roles_on(deck, d.id)) == expected, (role.name, d.id)
    packet = _visible(render_sheet(deck, "umpire", NOTES))
    assert "Package keeper" in packet and "Ukraine, Russia, United States and European Union" in packet


def test_roles_for_tables_or_delegations_that_are_left_out_go_with_them():
    from facilitator.decks.variants import leave_out
    data = LOADED["three-track-talks-workshop"].data
    smaller = deck_from_data(leave_out(data, ["russia"]), "three-track-talks-workshop.yaml", NOTES)
    names = [r.name for r in smaller.teaching.roles]
    assert "Track 1 security team" not in names  # track 1 is gone without Russia
    keeper = next(r for r in smaller.teaching.roles if r.name == "Package keeper")
    assert "russia" not in keeper.delegations and "ukraine" in keeper.delegations
    assert "Head of delegation" in names


# ---- words on the sheets ------------------------------------------------------------------------------------


@pytest.mark.parametrize("deck_id", sorted(DECKS))
def test_sheets_name_a_delegation_without_a_possessive(deck_id):
    deck = DECKS[deck_id]
    index = render_sheet(deck, "index", NOTES)
    packet = render_sheet(deck, "umpire", NOTES)
    for d in deck.delegations:
        assert html_of(f"for the members of {d.name} only") in index
        assert html_of(f"{d.name}'s members") not in index
        role = render_sheet(deck, f"role-{d.id}", NOTES)
        assert html_of(f"Private: for the members of {d.name} only.") in role
        assert html_of(f"{d.name}'s belief") not in packet
    assert "United States's" not in html_of(packet) and "States&#39;s" not in packet


@pytest.mark.parametrize("deck_id", sorted(DECKS))
def test_the_handout_points_to_the_glossary(deck_id):
    handout = render_sheet(DECKS[deck_id], "handout", NOTES)
    assert "<dt>Glossary</dt>" in handout and "dotted underline" in handout and "whole glossary" in handout


def test_a_role_sheet_gives_the_map_a_heading_kept_with_it(tmp_path):
    deck = DECKS["kyiv-decides"]
    role = render_sheet(deck, "role-ukraine", NOTES, maps_dir=ROOT / "static" / "maps")
    section = role.split('<section class="map-section">', 1)[1].split("</section>", 1)[0]
    assert section.lstrip().startswith("<h2>Map</h2>") and '<figure class="map">' in section
    css = role.split("<style>", 1)[1].split("</style>", 1)[0]
    assert ".map-section { break-inside: avoid; }" in css
    # Without the file there is neither map nor heading.
    assert "<h2>Map</h2>" not in render_sheet(deck, "role-ukraine", NOTES, maps_dir=tmp_path)


def test_error_pages_link_home(client):
    for url in ("/decks/atlantis/print", "/decks/demo/print/role-atlantis", "/decks/demo/print?paper=a3"):
        page = client.get(url).get_data(as_text=True)
        assert 'href="/"' in page, url
    assert 'href="/decks/demo/print"' in client.get("/decks/demo/print/role-atlantis").get_data(as_text=True)


# ---- the instructor key, kept out of addresses ----------------------------------------------------------------


def _pass_cookie(response) -> str:
    return next(h for h in response.headers.getlist("Set-Cookie") if h.startswith("facilitator-print-pass="))


def test_a_posted_key_becomes_a_pass_and_never_an_address(app, client):
    app.config["INSTRUCTOR_KEY"] = KEY
    response = client.post("/decks/demo/print?paper=letter", data={"key": KEY.lower(), "paper": "letter"})
    assert response.status_code == 303
    assert response.headers["Location"].endswith("/decks/demo/print?paper=letter")
    assert KEY.lower() not in response.headers["Location"] and KEY not in response.headers["Location"]
    cookie = _pass_cookie(response)
    assert "HttpOnly" in cookie and "SameSite=Strict" in cookie and "Path=/decks/" in cookie
    assert KEY not in cookie and KEY.lower() not in cookie and "Max-Age=28800" in cookie
    # The pass opens the private sheets; the index's links carry no key.
    index = client.get("/decks/demo/print").get_data(as_text=True)
    assert 'href="/decks/demo/print/umpire"' in index and "key=" not in index and 'name="key"' not in index
    assert client.get("/decks/demo/print/umpire").status_code == 200
    assert client.get("/decks/demo/print/role-ukraine").headers["Cache-Control"] == "no-store"
    # A posted key opens a private sheet directly too, then sends the browser on to it.
    assert client.post("/decks/demo/print/umpire", data={"key": KEY}).headers["Location"].endswith("/print/umpire")
    # A new instructor key voids every pass.
    app.config["INSTRUCTOR_KEY"] = "ANOT-HERK-EYXX"
    assert client.get("/decks/demo/print/umpire").status_code == 403


def test_a_forged_pass_or_a_wrong_posted_key_opens_nothing(app, client):
    app.config["INSTRUCTOR_KEY"] = KEY
    client.set_cookie("facilitator-print-pass", "print.forged.signature", path="/decks/")
    assert client.get("/decks/demo/print/umpire").status_code == 403
    wrong = client.post("/decks/demo/print", data={"key": "wrong-key"})
    assert wrong.status_code == 403 and "That instructor key is wrong" in wrong.get_data(as_text=True)
    assert not any(h.startswith("facilitator-print-pass=") for h in wrong.headers.getlist("Set-Cookie"))
    assert client.post("/decks/demo/print/umpire", data={"key": "wrong-key"}).status_code == 403


def test_wrong_posted_keys_are_guesses(app, client):
    app.config["INSTRUCTOR_KEY"] = KEY
    app.extensions["facilitator"].limits.guesses = Limiter(Rate(burst=1, per_second=1e-6))
    assert client.post("/decks/demo/print", data={"key": "one"}).status_code == 403
    assert client.post("/decks/demo/print", data={"key": KEY}).status_code == 429


def test_the_index_form_posts_the_key(app, client):
    app.config["INSTRUCTOR_KEY"] = KEY
    index = client.get("/decks/demo/print").get_data(as_text=True)
    assert '<form class="key" method="post" action="">' in index


# ---- the home page and the command line list each base deck, then its variants --------------------------------


def test_variants_are_listed_right_after_their_base_deck(client, runner):
    listed = [d["id"] for d in client.get("/api/scenarios").json]
    assert listed[0] == "demo"
    for deck_id in listed:
        base = DECKS[deck_id].variant_of
        if base:
            at = listed.index(deck_id)
            between = listed[listed.index(base) + 1:at + 1]
            assert listed.index(base) < at and all(DECKS[x].variant_of == base for x in between)
    result = runner.invoke(args=["scenarios", "list"])
    lines = result.output.splitlines()
    assert [line.split()[0] for line in lines] == listed
    short = next(line for line in lines if line.startswith("talking-about-talking-50"))
    assert "37 min of play" in short and "a variant of talking-about-talking" in short


# ---- the command line says what is wrong --------------------------------------------------------------------


def test_the_command_refuses_an_empty_out_folder(runner, tmp_path, monkeypatch):
    here = tmp_path / "here"
    here.mkdir()
    monkeypatch.chdir(here)
    for empty in ("", "  "):
        result = runner.invoke(args=["scenarios", "print", "demo", "--out", empty])
        assert result.exit_code == 2
        assert "--out" in result.output and "empty" in result.output
    assert list(here.iterdir()) == []  # no private sheet written where the command ran


def test_the_command_says_a_file_is_not_a_deck(runner, tmp_path):
    result = runner.invoke(args=["scenarios", "print", "/etc/passwd", "--out", str(tmp_path / "x")])
    assert result.exit_code == 1
    assert "/etc/passwd is not a deck file" in result.output and "no such file" not in result.output
    binary = tmp_path / "picture.png"
    binary.write_bytes(b"\x89PNG\r\n\x1a\n\x00\xff\xfe")
    result = runner.invoke(args=["scenarios", "print", str(binary), "--out", str(tmp_path / "y")])
    assert result.exit_code == 1 and "is not a deck file" in result.output and "Not YAML" in result.output
    assert not (tmp_path / "x").exists() and not (tmp_path / "y").exists()


def test_the_command_reads_a_deck_whatever_its_file_is_called(runner, tmp_path):
    text = (ROOT / "scenarios" / "demo.yaml").read_text(encoding="utf-8")
    (tmp_path / "demo.txt").write_text(text, encoding="utf-8")
    result = runner.invoke(args=["scenarios", "print", str(tmp_path / "demo.txt"), "--out", str(tmp_path / "out")])
    assert result.exit_code == 0, result.output
    assert (tmp_path / "out" / "umpire.html").is_file()
    (tmp_path / "mine.txt").write_text(text, encoding="utf-8")
    result = runner.invoke(args=["scenarios", "print", str(tmp_path / "mine.txt"), "--out", str(tmp_path / "o2")])
    assert result.exit_code == 1 and "must match the file name 'mine'" in result.output
    assert "no such file" not in result.output
    result = runner.invoke(args=["scenarios", "print", str(tmp_path), "--out", str(tmp_path / "o3")])
    assert result.exit_code == 1 and "is a folder, not a deck file" in result.output


# ---- docs/scenarios.md ---------------------------------------------------------------------------------------


def test_the_guide_gives_every_decks_objectives_and_print_pack():
    text = (ROOT / "docs" / "scenarios.md").read_text(encoding="utf-8")
    objectives = text.split("| Deck | Students will learn to … |", 1)[1].split("\n\n", 1)[0]
    packs = text.split("## Print packs", 1)[1].split("\n## ", 1)[0]
    for deck_id, deck in DECKS.items():
        row = next(line for line in objectives.splitlines() if line.startswith(f"| `{deck_id}` |"))
        for goal in deck.teaching.learning_objectives:
            assert " ".join(goal.text.split()) in row, (deck_id, goal.id)
        assert f"`/decks/{deck_id}/print`" in packs
        assert f"`facilitator scenarios print {deck_id} --out" in packs
