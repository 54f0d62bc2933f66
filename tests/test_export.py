"""Exports and import: a JSON Lines export imported on another server replays the same exercise at every seq, for
every perspective; a tampered file is refused, naming the event, and nothing is stored; the CSV is inert in a
spreadsheet; a perspective's export holds only what it was told; a pseudonymised one no real name; the command
line and the REST endpoint (docs/exports.md)."""

from __future__ import annotations

import csv
import io
import json
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from sqlalchemy import func, select

from facilitator import create_app
from facilitator.engine import Actor, RuleError, evolve, initial_state, perspectives, view_state
from facilitator.engine.audience import UMPIRE_ACTOR
from facilitator.engine.control import staff_actor
from facilitator.engine.visibility import PUBLIC
from facilitator.persistence.models import EventRow, ExerciseRow, ParticipantRow
from facilitator.schemas.commands import load_command
from facilitator.services.exports import CSV_COLUMNS, ImportRefused, Pseudonyms, export_csv, export_jsonl, \
    import_jsonl, inert

from .conftest import migrated_url

DECKS = sorted(p.stem for p in (Path(__file__).resolve().parent.parent / "scenarios").glob("*.yaml"))
PEOPLE = ["Olena Kovalenko", "Taras Shevchuk", "Dmitri Volkov", "Ayşe Yılmaz", "Kofi Mensah", "Ingrid Solberg",
          "Mateo Ruiz", "Priya Raman", "Lena Fischer"]
STAFF = "Margaret Hale"
HOSTILE = ['=HYPERLINK("http://evil.example","click")', "+1", "-1", "@SUM(A1:A2)"]
CONTROL_MARKERS = ("CONTROL-ROOM-MARKER", "CONTROL-NOTE-MARKER")


def private_marker(delegation: str) -> str:
    return f"PRIVATE-{delegation.upper()}-MARKER"


@pytest.fixture
def other_app(tmp_path):
    """A second server: its own, fresh database."""
    app = create_app({"TESTING": True, "DATABASE_URL": migrated_url(tmp_path / "other.sqlite3")})
    yield app
    app.extensions["facilitator"].db.dispose()


class Played:
    """A scripted exercise played through the service, with a clock of its own (each command 37 s later)."""

    def __init__(self, svc, deck_id: str):
        self.svc, self.accepted, self.refused = svc, 0, 0
        self.created = created = svc.create(deck_id)
        self.id = created.id
        self.deck = deck = svc.deck(created.id)
        self.now = datetime.now(timezone.utc) + timedelta(seconds=5)
        self.members: dict[str, list] = {}
        self.tokens: dict[str, str] = {}
        names = iter(PEOPLE)
        for i, d in enumerate(deck.delegations):
            for _ in range(2 if i == 0 else 1):
                identity, token = svc.join(created.join_codes[d.id], next(names))
                self.members.setdefault(d.id, []).append(identity.actor)
                self.tokens.setdefault(d.id, token)
        self.names = [a.name for actors in self.members.values() for a in actors]
        staff_id, _ = svc.add_staff(created.id, STAFF, "assistant", UMPIRE_ACTOR)
        self.assistant = staff_actor(staff_id, STAFF, "assistant")

    def first(self, delegation: str) -> Actor:
        return self.members[delegation][0]

    def do(self, actor: Actor, payload: dict) -> None:
        command, _ = load_command(payload)
        self.now += timedelta(seconds=37)
        try:
            self.svc.execute(self.id, command, actor, at=self.now)
            self.accepted += 1
        except RuleError:
            self.refused += 1

    def script(self, end: bool = True) -> "Played":
        deck, ids = self.deck, [d.id for d in self.deck.delegations]
        first, second = ids[0], ids[1]
        olena, taras = self.members[first]
        self.do(UMPIRE_ACTOR, {"type": "advance_phase"})
        for d in ids:
            self.do(self.first(d), {"type": "post_message", "channel": f"delegation:{d}",
                                    "text": f"{private_marker(d)}: our line, says {self.first(d).name}"})
        self.do(olena, {"type": "post_message", "channel": "plenary",
                        "text": f"Good morning. {self.first(second).name}, shall we talk? Taras Shevchuk agrees."})
        self.do(UMPIRE_ACTOR, {"type": "post_message", "channel": "umpire", "text": "CONTROL-ROOM-MARKER: watch them"})
        self.do(self.assistant, {"type": "add_note", "at": 2, "text": "CONTROL-NOTE-MARKER: Taras Shevchuk is quiet"})
        self.do(UMPIRE_ACTOR, {"type": "pause_clock"})
        self.do(UMPIRE_ACTOR, {"type": "resume_clock"})
        self.do(UMPIRE_ACTOR, {"type": "extend_clock", "minutes": 5})
        self.do(UMPIRE_ACTOR, {"type": "advance_phase"})
        self.do(UMPIRE_ACTOR, {"type": "advance_phase"})
        for d in deck.delegations:
            for card in d.hand[:2]:
                private = deck.signal(card).visibility != "public"
                to = [x for x in ids if x != d.id][:1] if private else []
                self.do(self.first(d.id), {"type": "play_signal", "card": card, "to": to})
        for inject in deck.injects[:3]:
            self.do(UMPIRE_ACTOR, {"type": "fire_inject", "inject": inject.id})
        self.do(self.assistant, {"type": "fire_inject", "title": "Ad hoc", "text": "Dmitri Volkov was seen leaving."})
        for table in deck.tables:
            drafter = table.delegations[0]
            kinds = [k.id for k in deck.clause_types if set(k.requires_parties) <= set(table.delegations)
                     and (not k.offered_by or drafter in k.offered_by)][:2]
            if not kinds:
                continue
            self.do(self.first(drafter), {"type": "draft_proposal", "table": table.id, "title": "A first text",
                                          "clauses": [{"clause_type": k, "terms": "As Olena Kovalenko put it"}
                                                      for k in kinds]})
            number = max((p["proposal"] for p in self._proposals()), default=0)
            for party in table.delegations:
                self.do(self.first(party), {"type": "sign_proposal", "proposal": number})
            self.do(self.first(drafter), {"type": "post_message", "channel": f"table:{table.id}",
                                          "text": "Signed at the table"})
        for indicator in deck.indicators[:2]:
            self.do(UMPIRE_ACTOR, {"type": "adjust_indicator", "indicator": indicator.id, "delta": 3,
                                   "reason": "a rumour"})
        self.do(taras, {"type": "submit_move", "action": "Taras Shevchuk calls the press", "result": "attention"})
        self.do(UMPIRE_ACTOR, {"type": "adjudicate_move", "move": 1, "ruling": "approved", "odds": 60,
                               "outcome": "It works"})
        self.do(UMPIRE_ACTOR, {"type": "announce", "text": "Taras Shevchuk, please come to the front."})
        for text in HOSTILE:
            self.do(olena, {"type": "post_message", "channel": "plenary", "text": text})
        self.do(UMPIRE_ACTOR, {"type": "add_bookmark", "at": 3, "label": "Olena Kovalenko opens", "shared": True})
        self.svc.reissue(self.id, "participant", taras.participant, UMPIRE_ACTOR)
        self.svc.move_participant(self.id, taras.participant, second, UMPIRE_ACTOR)
        if end:
            self.do(UMPIRE_ACTOR, {"type": "end_exercise"})
            self.svc.archive(self.id, UMPIRE_ACTOR)
        return self

    def _proposals(self) -> list[dict]:
        return view_state(self.svc.state(self.id), Actor("umpire")).get("proposals", [])


def stored(db, exercise_id: str) -> list[tuple]:
    with db.read() as session:
        return [tuple(r) for r in session.execute(
            select(EventRow.seq, EventRow.type, EventRow.version, EventRow.actor, EventRow.audience, EventRow.data,
                   EventRow.at, EventRow.hash).where(EventRow.exercise_id == exercise_id).order_by(EventRow.seq))]


def views_at_every_seq(svc, exercise_id: str) -> list[dict]:
    """The state each perspective (and ``public``) sees, after each event of the log, folded from the store."""
    with svc.db.read() as session:
        row = session.get(ExerciseRow, exercise_id)
        events = svc.store.load(session, exercise_id)
        seed, title = row.seed, row.title
    deck = svc.deck(exercise_id)
    viewers = perspectives(deck) + [Actor(PUBLIC)]
    state = initial_state(deck, seed, exercise_id, title)
    out = [{repr(v): view_state(state, v) for v in viewers}]
    for event in events:
        state = evolve(state, event)
        out.append({repr(v): view_state(state, v) for v in viewers})
    return out


def counts(db) -> tuple[int, int]:
    with db.read() as session:
        return session.scalar(select(func.count(ExerciseRow.id))), session.scalar(select(func.count(EventRow.id)))


def jsonl(played: Played, **kw) -> list[str]:
    return list(export_jsonl(played.svc.db, played.id, UMPIRE_ACTOR, **kw))


# ---- the round trip --------------------------------------------------------------------------------------


@pytest.mark.parametrize("deck_id", DECKS)
def test_an_import_elsewhere_replays_the_same_exercise_at_every_seq_for_every_perspective(exercises, other_app,
                                                                                          deck_id):
    played = Played(exercises, deck_id).script()
    assert played.accepted >= 25, (played.accepted, played.refused)
    lines = jsonl(played)
    header = json.loads(lines[0])
    last = exercises.state(played.id).seq
    assert header["importable"] and header["events"] == last == len(lines) - 1 and header["deck"] == deck_id
    assert header["last_hash"] == json.loads(lines[-1])["hash"]

    other = other_app.extensions["facilitator"]
    imported = import_jsonl(io.BytesIO("".join(lines).encode("utf-8")), other.db)
    assert imported.created.id == played.id == imported.original_id  # its id was free there: kept
    assert imported.events == last and not imported.unseated
    assert stored(other.db, played.id) == stored(exercises.db, played.id)
    with other.db.read() as session:
        assert other.exercises.store.verify(session, played.id).ok
        assert session.get(ExerciseRow, played.id).archived_at is not None
        seated = session.scalars(select(ParticipantRow.display_name).where(ParticipantRow.exercise_id == played.id))
        assert sorted(seated) == sorted(played.names)
    assert views_at_every_seq(other.exercises, played.id) == views_at_every_seq(exercises, played.id)
    assert other.exercises.identify(imported.created.umpire_token).actor.is_umpire  # new secrets work there
    for delegation, code in imported.created.join_codes.items():
        assert exercises.identify(code) is None
    assert "".join(export_jsonl(other.db, played.id, UMPIRE_ACTOR)) == "".join(lines)


def test_an_import_where_the_original_is_takes_a_new_id_and_never_touches_the_original(exercises):
    played = Played(exercises, "demo").script(end=False)
    imported = import_jsonl(io.BytesIO("".join(jsonl(played)).encode()), exercises.db)
    copy = imported.created.id
    assert copy != played.id and imported.original_id == played.id
    assert sorted(imported.unseated) == sorted(played.names + [STAFF])  # their ids are the original's
    with exercises.db.read() as session:
        assert exercises.store.verify(session, copy).ok
    olena = played.members["ukraine"][0]
    with pytest.raises(RuleError) as refused:
        exercises.reissue(copy, "participant", olena.participant, UMPIRE_ACTOR)
    assert refused.value.code == "conflict"
    exercises.remove_participant(copy, olena.participant, UMPIRE_ACTOR)  # the copy's log only
    assert exercises.identify(played.tokens["ukraine"]).exercise_id == played.id


# ---- refusals --------------------------------------------------------------------------------------------


def _altered(lines: list[str], seq: int) -> list[str]:
    event = json.loads(lines[seq])
    event["data"] = {**event["data"], "text": "I never said that"}
    return lines[:seq] + [json.dumps(event) + "\n"] + lines[seq + 1:]


def _message_seq(lines: list[str]) -> int:
    return next(json.loads(line)["seq"] for line in lines[1:] if json.loads(line)["type"] == "message_posted")


@pytest.mark.parametrize("how, problem", [
    ("altered", "altered: its content does not match its hash"),
    ("removed", "missing or out of order"),
    ("swapped", "missing or out of order"),
    ("cut off", "missing (the export should reach"),
    ("not json", "not valid JSON"),
    ("deck", "does not match its deck_hash"),
    ("last hash", "last_hash"),
    ("one more", "beyond the"),
])
def test_a_tampered_export_is_refused_naming_the_event_and_nothing_is_stored(exercises, other_app, how, problem):
    played = Played(exercises, "demo").script()
    lines = jsonl(played)
    seq = _message_seq(lines)
    named = f"event #{seq}"
    if how == "altered":
        lines = _altered(lines, seq)
    elif how == "removed":
        del lines[seq]
    elif how == "swapped":
        lines[seq], lines[seq + 1] = lines[seq + 1], lines[seq]
    elif how == "cut off":
        lines, named = lines[:-1], f"Event #{len(lines) - 1}"
    elif how == "one more":
        header = json.loads(lines[0])
        header["events"] -= 1
        lines[0], named = json.dumps(header) + "\n", f"event #{header['events'] + 1}"
    elif how == "not json":
        lines[seq], named = lines[seq][:40] + "\n", f"Line {seq + 1}"
    else:
        header = json.loads(lines[0])
        if how == "deck":
            header["deck_data"]["title"] = "Another deck"
        else:
            header["last_hash"] = "0" * 64
        lines[0], named = json.dumps(header) + "\n", "Line 1"
    db = other_app.extensions["facilitator"].db
    with pytest.raises(ImportRefused) as refused:
        import_jsonl(io.BytesIO("".join(lines).encode()), db)
    assert problem in refused.value.message and named in refused.value.message, refused.value.message
    assert "Nothing was imported" in refused.value.message
    assert counts(db) == (0, 0)


@pytest.mark.parametrize("kw, problem", [({"pseudonymise": True}, "pseudonymised"),
                                         ({"perspective": "d:ukraine"}, "holds only what 'd:ukraine' was told"),
                                         ({"perspective": "public"}, "holds only what 'public' was told")])
def test_only_a_full_export_can_be_imported(exercises, other_app, kw, problem):
    played = Played(exercises, "demo").script()
    db = other_app.extensions["facilitator"].db
    with pytest.raises(ImportRefused) as refused:
        import_jsonl(io.BytesIO("".join(jsonl(played, **kw)).encode()), db)
    assert problem in refused.value.message
    assert counts(db) == (0, 0)


# ---- CSV -----------------------------------------------------------------------------------------------


def rows_of(text: str) -> list[dict]:
    assert text.startswith("\ufeff")
    return list(csv.DictReader(io.StringIO(text[1:], newline="")))


def test_the_csv_opens_with_a_bom_in_crlf_and_hostile_cells_stay_inert(exercises):
    played = Played(exercises, "demo").script()
    text = "".join(export_csv(exercises.db, played.id, UMPIRE_ACTOR))
    assert text.startswith("\ufeff" + ",".join(CSV_COLUMNS) + "\r\n")
    assert text.count("\r\n") >= exercises.state(played.id).seq + 1
    rows = rows_of(text)
    assert [int(r["seq"]) for r in rows] == list(range(1, exercises.state(played.id).seq + 1))
    texts = [r["text"] for r in rows if r["type"] == "message_posted"]
    for hostile in HOSTILE:
        assert "'" + hostile in texts, hostile
    for row in rows:
        for cell in row.values():
            assert not cell.startswith(("=", "+", "-", "@", "\t", "\r")), row
    message = next(r for r in rows if r["text"] == "'+1")
    assert message["actor"] == "Olena Kovalenko" and message["delegation"] == "Ukraine"
    assert message["audience"] == "everyone" and message["channel"] == "Plenary"
    assert message["summary"] == "Olena Kovalenko (Ukraine) in Plenary"
    assert message["time"].endswith("Z") and datetime.fromisoformat(message["time"])
    private = next(r for r in rows if r["text"].startswith(private_marker("russia")))
    assert private["audience"] == "russia" and private["channel"] == "Russia (private)"
    room = next(r for r in rows if r["text"].startswith("CONTROL-ROOM"))
    assert room["audience"] == "control" and room["channel"] == "Exercise control"


def test_the_csv_tells_the_phase_and_the_played_time_of_each_event(exercises):
    created = exercises.create("demo")
    deck = exercises.deck(created.id)
    t0 = datetime.now(timezone.utc) + timedelta(seconds=5)

    def at(seconds: int, payload: dict):
        exercises.execute(created.id, load_command(payload)[0], UMPIRE_ACTOR, at=t0 + timedelta(seconds=seconds))

    def say(seconds: int, text: str):
        at(seconds, {"type": "post_message", "channel": "umpire", "text": text})

    at(0, {"type": "advance_phase"})
    say(65, "one")
    at(100, {"type": "pause_clock"})
    say(400, "two")  # paused: the clock stands at 1:40
    at(500, {"type": "resume_clock"})
    at(560, {"type": "advance_phase"})  # 160 s of play in the first phase
    say(4200, "three")  # 160 + (4200 - 560) s
    rows = {r["text"]: r for r in rows_of("".join(export_csv(exercises.db, created.id, UMPIRE_ACTOR)))}
    assert (rows["one"]["played time"], rows["one"]["phase"]) == ("0:01:05", deck.phases[0].name)
    assert (rows["two"]["played time"], rows["two"]["phase"]) == ("0:01:40", deck.phases[0].name)
    assert (rows["three"]["played time"], rows["three"]["phase"]) == ("1:03:20", deck.phases[1].name)


# ---- perspectives and pseudonyms -----------------------------------------------------------------------


@pytest.mark.parametrize("deck_id", ["demo", "three-track-talks"])
def test_a_perspective_exports_only_what_it_was_told(exercises, deck_id):
    played = Played(exercises, deck_id).script()
    ids = [d.id for d in played.deck.delegations]
    member = played.first(ids[1])
    for key in (f"d:{ids[1]}", "public", "observers"):
        viewer = member if key != "observers" else UMPIRE_ACTOR
        for export in (export_jsonl, export_csv):
            text = "".join(export(exercises.db, played.id, viewer, key))
            told = [private_marker(d) for d in ids if key != f"d:{d}"] + list(CONTROL_MARKERS)
            assert not [m for m in told if m in text], (key, export.__name__)
            assert (private_marker(ids[1]) in text) == (key == f"d:{ids[1]}")
            assert "Olena Kovalenko" in text  # names are kept unless pseudonymised
    lines = list(export_jsonl(exercises.db, played.id, member))  # a member's default: its own perspective
    header = json.loads(lines[0])
    assert header["perspective"] == f"d:{ids[1]}" and not header["importable"] and header["events"] == len(lines) - 1
    assert header["seed"] is None and header["deck_data"] is None and header["last_hash"] is None
    assert all(json.loads(line)["hash"] is None for line in lines[1:])
    for key in ("umpire", "observers", f"d:{ids[0]}"):
        with pytest.raises(RuleError) as refused:
            export_jsonl(exercises.db, played.id, member, key)
        assert refused.value.code == "forbidden"
    with pytest.raises(RuleError) as refused:
        export_csv(exercises.db, played.id, UMPIRE_ACTOR, "d:atlantis")
    assert refused.value.code == "invalid"


@pytest.mark.parametrize("deck_id", ["demo", "kyiv-decides"])
def test_a_pseudonymised_export_holds_no_real_name(exercises, deck_id):
    played = Played(exercises, deck_id).script()
    first = played.deck.delegations[0].name
    for export in (export_jsonl, export_csv):
        for key in ("umpire", "public"):
            text = "".join(export(exercises.db, played.id, UMPIRE_ACTOR, key, pseudonymise=True)).casefold()
            assert not [n for n in played.names + [STAFF] if n.casefold() in text], (export.__name__, key)
            assert f"{first}-1".casefold() in text and f"{first}-2".casefold() in text
    umpire = "".join(export_jsonl(exercises.db, played.id, UMPIRE_ACTOR, pseudonymise=True))
    assert "Assistant-1 (assistant)" in umpire and f"{first}-2's personal link" in umpire
    assert json.loads(umpire.split("\n", 1)[0])["pseudonymised"] is True


def test_names_are_replaced_as_whole_words_whatever_their_case():
    aliases = Pseudonyms({"Ayşe Yılmaz": "Turkey-1", "Al": "Russia-1", "Anna Maria": "Ukraine-1", "Anna": "Ukraine-2"})
    assert aliases.text("AYŞE YILMAZ met al, not Alan; Anna Maria and anna.") == \
        "Turkey-1 met Russia-1, not Alan; Ukraine-1 and Ukraine-2."
    assert aliases.value({"by": "Al", "clauses": [{"terms": "Al's text"}], "n": 3}) == \
        {"by": "Russia-1", "clauses": [{"terms": "Russia-1's text"}], "n": 3}
    assert Pseudonyms({}).text("Al") == "Al"
    assert [inert(c) for c in ("=1", "+1", "-1", "@A1", "\tx", "\rx", "1", "a=b", "")] == \
        ["'=1", "'+1", "'-1", "'@A1", "'\tx", "'\rx", "1", "a=b", ""]


# ---- command line --------------------------------------------------------------------------------------


def test_the_command_line_exports_and_imports(app, exercises, other_app, tmp_path):
    played = Played(exercises, "demo").script()
    runner, out = app.test_cli_runner(), tmp_path / "exercise.jsonl"
    result = runner.invoke(args=["exercises", "export", played.id, "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert f"Wrote {exercises.state(played.id).seq} events to {out}" in result.output
    to_stdout = runner.invoke(args=["exercises", "export", played.id, "--format", "csv", "--as", "public",
                                    "--pseudonymise"])
    assert to_stdout.exit_code == 0 and to_stdout.stdout_bytes.startswith("\ufeffseq,time".encode())
    assert b"Olena" not in to_stdout.stdout_bytes
    own = runner.invoke(args=["exercises", "export", played.id, "--as", "russia", "--format", "csv"])  # a bare id
    assert own.exit_code == 0 and private_marker("russia").encode() in own.stdout_bytes
    assert private_marker("ukraine").encode() not in own.stdout_bytes
    for args, message in ([["nope"], "There is no exercise 'nope'"],
                          [[played.id, "--as", "d:atlantis"], "Export as one of"]):
        refused = runner.invoke(args=["exercises", "export", *args])
        assert refused.exit_code == 1 and message in refused.output

    other = other_app.test_cli_runner()
    imported = other.invoke(args=["exercises", "import", str(out)])
    assert imported.exit_code == 0, imported.output
    assert f"as exercise {played.id}." in imported.output and "Umpire console:" in imported.output
    assert "Ukraine" in imported.output and "/join#code=" in imported.output
    again = other.invoke(args=["exercises", "import", str(out)])
    assert again.exit_code == 0 and f"(its id {played.id} is taken here)" in again.output
    assert other.invoke(args=["exercises", "verify", played.id]).exit_code == 0

    tampered = tmp_path / "tampered.jsonl"
    lines = out.read_text(encoding="utf-8").splitlines(keepends=True)
    seq = _message_seq(lines)
    tampered.write_text("".join(_altered(lines, seq)), encoding="utf-8")
    refused = other.invoke(args=["exercises", "import", str(tampered)])
    assert refused.exit_code == 1 and f"event #{seq}: altered" in refused.output


# ---- REST ----------------------------------------------------------------------------------------------


def test_the_rest_endpoint_streams_exports_by_the_bearers_rights(app, exercises):
    played = Played(exercises, "demo").script()
    client = app.test_client()
    url = f"/api/exercises/{played.id}/export"

    def get(query: str, token: str | None):
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        return client.get(url + query, headers=headers)

    umpire, member, observer = played.created.umpire_token, played.tokens["russia"], played.created.observer_code
    full = get("", umpire)
    assert full.status_code == 200 and full.mimetype == "application/jsonl"
    assert full.headers["Content-Disposition"].startswith(f'attachment; filename="demo-a-corridor-for-grain-'
                                                          f'{played.id}.jsonl"')
    assert full.headers["Cache-Control"] == "no-store"
    assert full.get_data(as_text=True) == "".join(jsonl(played))
    table = get("?format=csv&as=d:russia&pseudonymise=1", member)
    assert table.status_code == 200 and table.mimetype == "text/csv"
    assert table.headers["Content-Disposition"].startswith(f'attachment; filename="demo-a-corridor-for-grain-'
                                                           f'{played.id}.csv"')
    body = table.get_data(as_text=True)
    assert body.startswith("\ufeffseq,") and private_marker("russia") in body and "Dmitri" not in body
    assert private_marker("ukraine") not in body
    assert json.loads(get("", observer).get_data(as_text=True).split("\n", 1)[0])["perspective"] == "public"

    for query, token, status, code in [("?format=xml", umpire, 400, "invalid"),
                                       ("?as=d:atlantis", umpire, 400, "invalid"),
                                       ("?pseudonymise=maybe", umpire, 400, "invalid"),
                                       ("?as=umpire", member, 403, "forbidden"),
                                       ("?as=d:ukraine", member, 403, "forbidden"),
                                       ("?as=observers", observer, 403, "forbidden"),
                                       ("", None, 401, "bad_token")]:
        answer = get(query, token)
        assert answer.status_code == status, (query, answer.get_json())
        assert answer.get_json()["error"]["code"] == code and answer.get_json()["error"]["message"]
    other = exercises.create("demo")
    assert client.get(f"/api/exercises/{other.id}/export",
                      headers={"Authorization": f"Bearer {umpire}"}).status_code == 403
