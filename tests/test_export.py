"""Exports and import: a JSON Lines export imported on another server replays the same exercise at every seq, for
every perspective; a tampered file is refused, naming the event, and nothing is stored; the CSV is inert in a
spreadsheet; a perspective's export holds only what it was told; a pseudonymised one no real name; the command
line and the REST endpoint (docs/exports.md)."""

from __future__ import annotations

import csv
import io
import json
import re
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from sqlalchemy import func, select

from facilitator import create_app
from facilitator.engine import EVENTS, Actor, RuleError, evolve, initial_state, perspectives, view_state
from facilitator.engine.audience import UMPIRE_ACTOR
from facilitator.engine.control import staff_actor
from facilitator.engine.visibility import PUBLIC
from facilitator.persistence.integrity import GENESIS, event_hash
from facilitator.persistence.models import EventRow, ExerciseRow, ParticipantRow
from facilitator.schemas.commands import load_command
from facilitator.services import exercises as exercises_module
from facilitator.services import exports
from facilitator.services.exports import CSV_COLUMNS, ImportRefused, Pseudonyms, export_csv, export_jsonl, \
    import_jsonl, inert

from facilitator.services.tokens import code_key

from .conftest import migrated_url

CODE_KEY = code_key("a test installation")

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
            kinds = [k.id for k in deck.clause_types
                     if set(k.requires_parties) | set(k.signatories) <= set(table.delegations)
                     and (not k.tables or table.id in k.tables) and (not k.offered_by or drafter in k.offered_by)
                     and not any(cl["clause_type"] == k.id for p in self._proposals() for cl in p["clauses"])][:2]
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
        self.on_clock(self.svc.reissue, self.id, "participant", taras.participant, UMPIRE_ACTOR)
        self.on_clock(self.svc.move_participant, self.id, taras.participant, second, UMPIRE_ACTOR)
        if end:
            self.do(UMPIRE_ACTOR, {"type": "end_exercise"})
            self.on_clock(self.svc.archive, self.id, UMPIRE_ACTOR)
        return self

    def on_clock(self, method, *args):
        """A service call that takes no time, made on this exercise's clock (the log's times never go back)."""
        self.now += timedelta(seconds=37)
        saved, exercises_module.now = exercises_module.now, lambda: self.now
        try:
            return method(*args)
        finally:
            exercises_module.now = saved

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
    imported = import_jsonl(io.BytesIO("".join(lines).encode("utf-8")), other.db, other.exercises.code_key)
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
    imported = import_jsonl(io.BytesIO("".join(jsonl(played)).encode()), exercises.db, exercises.code_key)
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
        import_jsonl(io.BytesIO("".join(lines).encode()), db, CODE_KEY)
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
        import_jsonl(io.BytesIO("".join(jsonl(played, **kw)).encode()), db, CODE_KEY)
    assert problem in refused.value.message
    assert counts(db) == (0, 0)


# ---- a file rewritten with its chain recomputed: every event checked as the server would have made it ----------
#
# The chain has no key: whoever holds an export can edit an event and recompute every hash and the header's
# last_hash. Such a file passes the chain; the import must still refuse what the server would never have written,
# naming the line and the seq, in words, and store nothing.


def rehashed(lines: list[str]) -> list[str]:
    """The export with every event's hash and the header's last_hash computed again: a chain that holds."""
    header, previous, out = json.loads(lines[0]), GENESIS, []
    for line in lines[1:]:
        e = json.loads(line)
        at = datetime.fromisoformat(e["at"]) if isinstance(e["at"], str) else e["at"]
        e["hash"] = previous = event_hash(previous, e["seq"], e["type"], e["version"], e["actor"], e["audience"],
                                          e["data"], at)
        out.append(json.dumps(e, ensure_ascii=False) + "\n")
    header["last_hash"] = previous
    return [json.dumps(header, ensure_ascii=False) + "\n"] + out


def first_of(lines: list[str], type_: str) -> int:
    return next(json.loads(line)["seq"] for line in lines[1:] if json.loads(line)["type"] == type_)


def edit(lines: list[str], seq: int, change) -> list[str]:
    """``lines`` with event ``seq`` changed by ``change(event)`` (in place), the chain recomputed."""
    event = json.loads(lines[seq])
    change(event)
    return rehashed(lines[:seq] + [json.dumps(event, ensure_ascii=False) + "\n"] + lines[seq + 1:])


def refused_import(db, lines: list[str]) -> ImportRefused:
    with pytest.raises(ImportRefused) as refused:
        import_jsonl(io.BytesIO("".join(lines).encode()), db, CODE_KEY)
    message = refused.value.message
    assert message.endswith("Nothing was imported."), message
    for python in ("Error", "Traceback", "__init__", "positional argument", "object has no attribute", "NoneType",
                   "KeyError", "not a int", "not a dict", "not a str"):
        assert python not in message, message  # words a facilitator understands, no exception text
    assert counts(db) == (0, 0)
    return refused.value


def _earlier(lines: list[str], seq: int):
    before = datetime.fromisoformat(json.loads(lines[seq - 1])["at"])
    return lambda e: e.update(at=(before - timedelta(hours=1)).isoformat())


# (what is done, the event type changed, change(event, lines, seq), words the refusal must hold)
REWRITTEN = [
    ("a card the deck does not have", "signal_played", lambda e, ls, s: e["data"].update(card="nope"),
     "(signal_played) does not fit this exercise: its 'card' names a signal card this exercise does not have: 'nope'"),
    ("an unknown type", "message_posted", lambda e, ls, s: e.update(type="foo"),
     "is of a kind this server does not know: 'foo' (a newer server's file?)"),
    ("a version from the future", "message_posted", lambda e, ls, s: e.update(version=99),
     "(message_posted) is version 99, but this server knows version 1 of this kind of event (a newer server's file?)"),
    ("version 0", "message_posted", lambda e, ls, s: e.update(version=0), "is version 0"),
    ("a channel that does not exist", "message_posted", lambda e, ls, s: e["data"].update(channel="backchannel:ffff"),
     "does not fit this exercise: it is posted in the channel 'backchannel:ffff', which does not exist"),
    ("everyone: 'yes'", "message_posted", lambda e, ls, s: e.update(audience={"everyone": "yes"}),
     "'audience' must be {\"everyone\": true}, or {\"everyone\": false"),
    ("an audience of a delegation that does not exist", "message_posted",
     lambda e, ls, s: e.update(audience={"everyone": False, "delegations": ["atlantis"], "observers": False}),
     "'audience.delegations' names a delegation this exercise does not have: 'atlantis'"),
    ("an audience unsorted", "signal_played",
     lambda e, ls, s: e.update(audience={"everyone": False, "delegations": ["ukraine", "russia"], "observers": False}),
     "'audience.delegations' must name each delegation once, in alphabetical order"),
    ("a 100,000-character message", "message_posted", lambda e, ls, s: e["data"].update(text="x" * 100_000),
     "'data.text' is 100,000 characters long; the server allows at most 2,000"),
    ("a time earlier than the event before", "message_posted", lambda e, ls, s: _earlier(ls, s)(e),
     "earlier than the event before it"),
    ("a field missing from the data", "message_posted", lambda e, ls, s: e["data"].pop("author"),
     "(message_posted): 'data.author' is missing"),
    ("a field the record does not have", "message_posted", lambda e, ls, s: e["data"].update(mood="angry"),
     "'data' has a field this kind of record does not have: 'mood'"),
    ("a number where a text belongs", "message_posted", lambda e, ls, s: e["data"].update(text=5),
     "'data.text' must be text"),
    ("a text where a list belongs", "signal_played", lambda e, ls, s: e["data"].update(to="russia"),
     "'data.to' must be a list of texts"),
    ("a nested record's field of the wrong type", "proposal_drafted",
     lambda e, ls, s: e["data"]["clauses"][0].update(terms=["a", "list"]), "'data.clauses[0].terms' must be text"),
    ("a nested record's field missing", "proposal_drafted", lambda e, ls, s: e["data"]["clauses"][0].pop("title"),
     "'data.clauses[0].title' is missing"),
    ("a boolean as a number", "signal_played", lambda e, ls, s: e["data"].update(play=True),
     "'data.play' must be a whole number"),
    ("an actor of a delegation that does not exist", "message_posted",
     lambda e, ls, s: e["actor"].update(delegation="atlantis"),
     "'actor.delegation' names a delegation this exercise does not have: 'atlantis'"),
    ("an actor of no known role", "message_posted", lambda e, ls, s: e["actor"].update(role="king"),
     "'actor.role' must be one of umpire, assistant, delegation, observer, not 'king'"),
    ("an actor's field too many", "message_posted", lambda e, ls, s: e["actor"].update(rank="general"),
     "'actor' must be null or an object with exactly 'role', 'delegation', 'participant' and 'name'"),
    ("a signature of a proposal never drafted", "proposal_signed", lambda e, ls, s: e["data"].update(proposal=99),
     "(proposal_signed) does not fit this exercise: its 'proposal' is 99, but this exercise has no proposal #99"),
    ("a play numbered out of turn", "signal_played", lambda e, ls, s: e["data"].update(play=40),
     "its 'play' is 40, but it would be signal played number"),
    ("an indicator the deck does not have", "indicator_changed", lambda e, ls, s: e["data"].update(indicator="mood"),
     "its 'indicator' names an indicator this exercise does not have: 'mood'"),
    ("an indicator beyond its range", "indicator_changed", lambda e, ls, s: e["data"].update(value=10_000),
     "its 'value' is 10000, outside the indicator's range"),
    ("a phase the deck does not have", "phase_advanced", lambda e, ls, s: e["data"].update(index=40),
     "(phase_advanced) does not fit this exercise: its phase"),
    ("a bookmark of a moment to come", "bookmark_added", lambda e, ls, s: e["data"].update(at=s + 5),
     "it may only mark an event before it"),
    ("a participant moved who is not seated", "participant_moved",
     lambda e, ls, s: e["data"].update(participant="nobody"), "its 'participant' is no one seated in this exercise"),
    ("a move ruled that was never submitted", "move_adjudicated", lambda e, ls, s: e["data"].update(move=7),
     "its 'move' is 7, but this exercise has no move #7"),
    ("a bookmark's label over the limit", "bookmark_added",
     lambda e, ls, s: e["data"].update(kind="bookmark", text="x" * 500),
     "'data.text' is 500 characters long; the server allows at most 120"),
    ("a note over the limit", "bookmark_added", lambda e, ls, s: e["data"].update(kind="note", text="x" * 3000),
     "'data.text' is 3,000 characters long; the server allows at most 2,000"),
    ("a name over the limit", "participant_seated", lambda e, ls, s: e["data"].update(name="N" * 41),
     "'data.name' is 41 characters long; the server allows at most 40"),
]


@pytest.mark.parametrize("what, type_, change, words", REWRITTEN, ids=[r[0] for r in REWRITTEN])
def test_a_rewritten_file_with_its_chain_recomputed_is_refused_naming_the_event(exercises, other_app, what, type_,
                                                                                change, words):
    played = Played(exercises, "demo").script()
    lines = jsonl(played)
    seq = first_of(lines, type_)
    db = other_app.extensions["facilitator"].db
    refused = refused_import(db, edit(lines, seq, lambda e: change(e, lines, seq)))
    assert f"Line {seq + 1}: event #{seq}" in refused.message and words in refused.message, refused.message
    assert (refused.line, refused.seq) == (seq + 1, seq)
    assert import_jsonl(io.BytesIO("".join(rehashed(lines)).encode()), db, CODE_KEY).events == len(lines) - 1  # as exported


def test_a_log_cut_short_with_its_header_fixed_is_accepted(exercises, other_app):
    """A consistent prefix of the log, with the header's count and last hash set to it, is the exercise as it stood
    then: the chain cannot tell it from an export made at that moment (docs/exports.md says so)."""
    played = Played(exercises, "demo").script()
    lines = jsonl(played)
    keep = len(lines) // 2
    header = json.loads(lines[0])
    header.update(events=keep, last_hash=json.loads(lines[keep])["hash"])
    db = other_app.extensions["facilitator"].db
    imported = import_jsonl(io.BytesIO("".join([json.dumps(header) + "\n"] + lines[1:keep + 1]).encode()), db, CODE_KEY)
    assert imported.events == keep and counts(db) == (1, keep)


@pytest.mark.parametrize("every", [500, 7, 1])
def test_a_view_that_fails_is_refused_naming_the_first_event_after_which_it_fails(exercises, other_app, monkeypatch,
                                                                                 every):
    """With the reference checks out of the way, a card the deck does not have still does not get in: the views
    cannot show it. The import names the first event after which exercise control's view fails, whether it is
    found at a check every ``VIEW_EVERY`` events or at the end."""
    monkeypatch.setitem(exports._FITS, "signal_played", None)
    monkeypatch.setattr(exports, "VIEW_EVERY", every)
    played = Played(exercises, "demo").script()
    lines = jsonl(played)
    seq = first_of(lines, "signal_played")
    refused = refused_import(other_app.extensions["facilitator"].db,
                             edit(lines, seq, lambda e: e["data"].update(card="nope")))
    assert f"Line {seq + 1}: event #{seq} (signal_played) does not fit this exercise: after it, the exercise can no " \
           "longer be shown to exercise control" in refused.message, refused.message
    assert refused.seq == seq


def test_a_delegations_view_that_fails_is_found_at_the_end(exercises, other_app):
    """A failure only a delegation's view meets is found by the check of every perspective at the end."""
    from facilitator.engine import core

    played = Played(exercises, "demo").script()
    lines = jsonl(played)
    seq = first_of(lines, "signal_played")
    section = next(s for s in core.VIEWS if s.name == "signals")

    def fails_for_russia_once_a_card_is_played(state, viewer):
        if viewer.delegation == "russia" and state.signals.plays:
            raise LookupError("boom")
        return section.build(state, viewer)

    index = core.VIEWS.index(section)
    core.VIEWS[index] = core.ViewSection(section.name, fails_for_russia_once_a_card_is_played, section.reads,
                                         section.key)
    try:
        refused = refused_import(other_app.extensions["facilitator"].db, lines)
    finally:
        core.VIEWS[index] = section
    assert f"event #{seq} (signal_played) does not fit this exercise: after it, the exercise can no longer be shown " \
           "to Russia" in refused.message, refused.message
    assert "boom" not in refused.message


@pytest.mark.parametrize("type_, field, value, words", [
    ("participant_moved", "participant", "nobody", "it cannot be applied to the exercise as it stood then"),
    ("participant_seated", "delegation", "atlantis", "it cannot be told in words"),
])
def test_an_event_the_engine_cannot_fold_or_describe_is_refused_in_words(exercises, other_app, monkeypatch, type_,
                                                                         field, value, words):
    """Whatever the reference checks miss, folding and describing every event catch, in words."""
    monkeypatch.setitem(exports._FITS, type_, None)
    played = Played(exercises, "demo").script()
    lines = jsonl(played)
    seq = first_of(lines, type_)
    refused = refused_import(other_app.extensions["facilitator"].db,
                             edit(lines, seq, lambda e: e["data"].update({field: value})))
    assert f"Line {seq + 1}: event #{seq} ({type_}) does not fit this exercise: {words}" in refused.message, \
        refused.message


def test_every_event_type_has_its_references_decided():
    assert set(exports._FITS) == set(EVENTS)


# ---- words a facilitator understands ---------------------------------------------------------------------


def _with_line(lines: list[str], seq: int, text: str) -> list[str]:
    return lines[:seq] + [text] + lines[seq + 1:]


def _header_changed(lines: list[str], change) -> list[str]:
    header = json.loads(lines[0])
    change(header)
    return [json.dumps(header) + "\n"] + lines[1:]


def _csv(played: Played) -> list[str]:
    return ["".join(export_csv(played.svc.db, played.id, UMPIRE_ACTOR))]


@pytest.mark.parametrize("what, change, words", [
    ("seq as text", lambda ls, s: _with_line(ls, s, ls[s].replace(f'"seq":{s},', f'"seq":"{s}",', 1)),
     "Line {line}: event #?: 'seq' (the event's number in the log) must be a whole number"),
    ("data as a list", lambda ls, s: _with_line(ls, s, json.dumps({**json.loads(ls[s]), "data": []}) + "\n"),
     "Line {line}: event #{seq}: 'data' must be an object"),
    ("version as text", lambda ls, s: _with_line(ls, s, json.dumps({**json.loads(ls[s]), "version": "1"}) + "\n"),
     "Line {line}: event #{seq}: 'version' must be a whole number"),
    ("a field too many", lambda ls, s: _with_line(ls, s, json.dumps({**json.loads(ls[s]), "x": 1}) + "\n"),
     "Line {line}: event #{seq}: the line has a field an event does not have: 'x'"),
    ("a time not in UTC", lambda ls, s: _with_line(ls, s, json.dumps({**json.loads(ls[s]), "at": "yesterday"}) + "\n"),
     "Line {line}: event #{seq}: 'at' must be a time in UTC"),
    ("a raw control character", lambda ls, s: _with_line(ls, s, ls[s].replace('"text":"', '"text":"\x01', 1)),
     "Line {line}: not valid JSON: there is an invalid control character at column"),
    ("a line cut off", lambda ls, s: _with_line(ls, s, ls[s][:ls[s].index('"text":"') + 12] + "\n"),
     "Line {line}: not valid JSON: the text starting at column {column} is never closed (is the line cut off?)"),
    ("NaN", lambda ls, s: _with_line(ls, s, ls[s].replace('"version":1', '"version":NaN', 1)),
     "Line {line}: not valid JSON: NaN is not a number JSON allows"),
    ("no seed", lambda ls, s: _header_changed(ls, lambda h: h.pop("seed")),
     "Line 1: the header has no 'seed' (the secret the exercise's draws are made from)"),
    ("a seed as a number", lambda ls, s: _header_changed(ls, lambda h: h.update(seed=5)),
     "Line 1: the header's 'seed' (the secret the exercise's draws are made from) must be text"),
    ("events as text", lambda ls, s: _header_changed(ls, lambda h: h.update(events="68")),
     "Line 1: the header's 'events' (the number of events in the file) must be a whole number"),
    ("the deck as a list", lambda ls, s: _header_changed(ls, lambda h: h.update(deck_data=[])),
     "Line 1: the header's 'deck_data' (the deck) must be an object"),
])
def test_the_refusals_say_what_is_wrong_in_words(exercises, other_app, what, change, words):
    played = Played(exercises, "demo").script()
    lines = jsonl(played)
    seq = _message_seq(lines)
    refused = refused_import(other_app.extensions["facilitator"].db, change(lines, seq))
    column = lines[seq].index('"text":"') + 8
    assert words.format(line=seq + 1, seq=seq, column=column) in refused.message, refused.message
    assert not re.search(r"(column \d+: |\bat\)|at\.)", refused.message)  # the JSON reader's words, finished


@pytest.mark.parametrize("kw", [{}, {"pseudonymise": True}, {"perspective": "public"}])
def test_a_csv_export_given_to_import_is_told_to_take_the_json_lines(exercises, other_app, kw):
    played = Played(exercises, "demo").script()
    text = "".join(export_csv(exercises.db, played.id, UMPIRE_ACTOR, **kw))
    db = other_app.extensions["facilitator"].db
    for variant in (text, text.removeprefix("\ufeff")):  # as exported, and as a spreadsheet may save it
        refused = refused_import(db, [variant])
        assert refused.message == "This is a CSV export; import takes the JSON Lines export (--format jsonl). " \
                                  "Nothing was imported."


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
                          [[played.id, "--as", "d:atlantis"], "no perspective 'd:atlantis'"]):
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


def test_rest_and_csv_exports_of_each_kind_download_under_their_own_names(app, exercises):
    """The full export keeps ``<slug>-<id>.<format>``; a pseudonymised one or another perspective's says so in
    its name, so that the console's "CSV" and "CSV, pseudonymised" never overwrite each other."""
    played = Played(exercises, "demo").script()
    client = app.test_client()
    headers = {"Authorization": f"Bearer {played.created.umpire_token}"}
    stem = f"demo-a-corridor-for-grain-{played.id}"
    names = {}
    for query, expected in (("format=csv", f"{stem}.csv"), ("format=csv&pseudonymise=1", f"{stem}-pseudonymised.csv"),
                            ("format=jsonl&as=umpire", f"{stem}.jsonl"),
                            ("format=csv&as=d:ukraine", f"{stem}-ukraine.csv"),
                            ("format=jsonl&as=public&pseudonymise=1", f"{stem}-public-pseudonymised.jsonl"),
                            ("format=csv&as=observers", f"{stem}-observers.csv")):
        response = client.get(f"/api/exercises/{played.id}/export?{query}", headers=headers)
        assert response.status_code == 200, response.get_json()
        disposition = response.headers["Content-Disposition"]
        names[query] = re.search(r'filename="([^"]+)"', disposition).group(1)
        assert names[query] == expected, query
        assert disposition.endswith("''" + expected.replace("demo-a-corridor-for-grain", "Demo%3A%20a%20corridor%20for%20grain"))
        response.close()
    assert len(set(names.values())) == len(names)
    member = client.get(f"/api/exercises/{played.id}/export?format=csv",  # a member's own, by default
                        headers={"Authorization": f"Bearer {played.tokens['russia']}"})
    assert f'filename="{stem}-russia.csv"' in member.headers["Content-Disposition"]
    member.close()


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
                                                           f'{played.id}-russia-pseudonymised.csv"')
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
