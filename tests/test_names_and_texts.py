"""Names and texts as people type them: normalised, never blank, never passing for someone else.

The rules are those of "Names and texts" in docs/protocol.md. They are checked in the engine (with its
own standard-library comparison of names, and with the stricter one the server passes it), through
``POST /api/join``, and through a live Socket.IO connection.
"""

from __future__ import annotations

import unicodedata
from datetime import datetime, timezone
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from facilitator import names
from facilitator.decks import load_deck, load_notes
from facilitator.engine import (
    Actor, AdjustIndicator, AdvancePhase, Clause, DraftProposal, FireInject, MAX_NAME, MAX_TEXT, PostMessage,
    RuleError, SeatParticipant, evolve, view_state,
)
from facilitator.engine.audience import UMPIRE_ACTOR, Audience
from facilitator.engine.core import Event
from facilitator.engine.guards import clean_name, clean_text, invisible
from facilitator.engine.participants import ParticipantSeated

from .realtime_helpers import http, join, table  # noqa: F401  (the live fixture)
from .test_engine import Game as EngineGame

ROOT = Path(__file__).resolve().parents[1]
T0 = datetime(2026, 3, 1, 9, 0, tzinfo=timezone.utc)

ZWSP, ZWJ, ZWNJ, BOM = "\u200b", "\u200d", "\u200c", "\ufeff"
HANGUL_FILLER = "\u3164"
JOSE_COMPOSED = "Jos\u00e9"
JOSE_DECOMPOSED = "Jose\u0301"
CYRILLIC_O = "\u041elena"  # "Оlena": a Cyrillic capital O, then Latin letters
UMPIRE_CYRILLIC_I = "Ump\u0456re"  # "Umpіre" with the Byelorussian-Ukrainian і
CODER = "\U0001F469\u200d\U0001F4BB"  # woman technologist: woman, ZWJ, laptop
PERSIAN = "\u0645\u06cc\u200c\u062e\u0648\u0627\u0647\u0645"  # "I want", with its zero-width non-joiner


@pytest.fixture(scope="module")
def demo_deck():
    return load_deck(ROOT / "scenarios" / "demo.yaml", load_notes(ROOT / "seeds")).deck


class Game(EngineGame):
    """The demo exercise played as the server plays it (``test_engine.Game``), with seating by name."""

    def seat(self, participant: str, name: str, delegation: str = "ukraine", keys=names.name_keys) -> Event:
        [event] = self.run(SeatParticipant(participant, name, delegation, name_keys=keys),
                           Actor("delegation", delegation, participant))
        return event

    def refuse_seat(self, participant: str, name: str, code: str, delegation: str = "russia",
                    keys=names.name_keys) -> RuleError:
        return self.refused(SeatParticipant(participant, name, delegation, name_keys=keys),
                            Actor("delegation", delegation, participant), code)


def member(game: Game, participant: str, delegation: str = "ukraine") -> Actor:
    return Actor("delegation", delegation, participant, game.state.participants.members[participant].name)


# ---- display names, in the engine ---------------------------------------------------------------

@pytest.mark.parametrize("keys", [names.name_keys, None], ids=["server's keys", "engine's own keys"])
def test_a_composed_and_a_decomposed_jose_are_one_name(demo_deck, keys):
    game = Game(demo_deck)
    seated = game.seat("p1", JOSE_DECOMPOSED, keys=keys)
    assert seated.data["name"] == JOSE_COMPOSED and len(seated.data["name"]) == 4  # stored in NFC
    error = game.refuse_seat("p2", JOSE_COMPOSED, "name_taken", keys=keys)
    assert error.fields == {"name": "taken"} and f"already called '{JOSE_COMPOSED}'" in error.message
    game.refuse_seat("p2", JOSE_DECOMPOSED, "name_taken", keys=keys)


def test_a_name_with_a_zero_width_space_is_the_name_without_it(demo_deck):
    game = Game(demo_deck)
    assert game.seat("p1", "Olena" + ZWSP).data["name"] == "Olena"
    assert view_state(game.state, UMPIRE_ACTOR)["members"] == [{"name": "Olena", "delegation": "ukraine"}]

    other = Game(demo_deck)
    other.seat("p1", "Olena")
    for typed in ("Olena" + ZWSP, ZWSP + "Olena", "Ol" + ZWJ + "ena", BOM + "Olena", "Olena\u2060", "\u202eOlena"):
        assert other.refuse_seat("p2", typed, "name_taken").fields == {"name": "taken"}, typed


@pytest.mark.parametrize("typed", [ZWSP, HANGUL_FILLER, "\u115f\u1160", "\u2800", "\uffa0", ZWSP * 3 + " \t" + BOM,
                                   "\u00ad", "\x00\x07", "\ufe0f", " \u3000 "])
def test_a_name_made_only_of_invisible_characters_is_empty(demo_deck, typed):
    error = Game(demo_deck).refuse_seat("p1", typed, "invalid")
    assert error.fields == {"name": "required"}


@pytest.mark.parametrize("typed", ["Umpire", "umpire", "UMPIRE", UMPIRE_CYRILLIC_I, " Umpire" + ZWSP,
                                   "\uff35mpire", "Observer", "0bserver", "exercise control", "Exercise  control",
                                   "System", "SYSTEM"])
def test_reserved_names_and_their_look_alikes_are_refused_saying_why(demo_deck, typed):
    error = Game(demo_deck).refuse_seat("p1", typed, "invalid")
    assert error.fields == {"name": "reserved"}
    assert "cannot be a participant's name" in error.message


def test_a_latin_and_a_cyrillic_olena_are_one_name(demo_deck):
    game = Game(demo_deck)
    game.seat("p1", "Olena")
    error = game.refuse_seat("p2", CYRILLIC_O, "name_taken")
    assert "already called 'Olena'" in error.message  # the name in use, not the look-alike typed
    for typed in ("OLENA", "\u043elena", "0lena", "\uff2f\uff4c\uff45\uff4e\uff41", "\U0001d40elena"):
        game.refuse_seat("p2", typed, "name_taken")

    # The other way round too: the look-alike came first.
    game = Game(demo_deck)
    game.seat("p1", CYRILLIC_O)
    game.refuse_seat("p2", "Olena", "name_taken")


def test_look_alikes_of_one_case_against_another_are_one_name(demo_deck):
    game = Game(demo_deck)
    game.seat("p1", "Iris")
    game.refuse_seat("p2", "lris", "name_taken")  # a small L for a capital I
    game.seat("p3", "Kim", "turkey")
    game.refuse_seat("p4", "Kirn", "name_taken")  # r n for m


def test_different_names_stay_different(demo_deck):
    game = Game(demo_deck)
    for i, name in enumerate(["Olena", "Olena K", "Elena", "Ayse", "Ay\u015fe", "Sergei", "Sergey",
                              "\u0421\u0435\u0440\u0433\u0456\u0439", "Umpire Ann", "Systems",
                              "\u0645\u06cc\u0646\u0627"]):
        game.seat(f"p{i}", name, ("ukraine", "russia", "turkey", "un")[i % 4])


def test_the_engine_alone_knows_case_and_compatibility_forms_but_not_other_scripts(demo_deck):
    """Without the server's keys (the engine imports no confusables data), a Cyrillic look-alike passes."""
    game = Game(demo_deck)
    game.seat("p1", "Olena", keys=None)
    for typed in ("OLENA", "\uff2f\uff4c\uff45\uff4e\uff41", "\U0001d40e\U0001d425\U0001d41e\U0001d427\U0001d41a"):
        game.refuse_seat("p2", typed, "name_taken", keys=None)
    game.refuse_seat("p2", "uMPIRE", "invalid", keys=None)
    game.seat("p2", CYRILLIC_O, "russia", keys=None)


def test_name_lengths_are_counted_once_normalised(demo_deck):
    game = Game(demo_deck)
    decomposed = "e\u0301" * MAX_NAME  # 80 code points as typed, 40 once composed
    assert game.seat("p1", decomposed + ZWSP * 10).data["name"] == "\u00e9" * MAX_NAME
    error = game.refuse_seat("p2", "x" * (MAX_NAME + 1), "too_long")
    assert error.fields == {"name": f"over {MAX_NAME} characters"}


def test_a_name_is_one_line_with_single_spaces(demo_deck):
    assert Game(demo_deck).seat("p1", "  Olena\t\n Kovalenko\u00a0\u00a0Jr ").data["name"] == "Olena Kovalenko Jr"


def test_names_seated_before_normalisation_still_count(demo_deck):
    """An older log may hold a name as it was typed; it is compared normalised all the same."""
    game = Game(demo_deck)
    old = Event(ParticipantSeated("p-old", "Olena" + ZWSP, "ukraine"), Audience.all(), None, 1, T0)
    game.state = evolve(game.state, old)
    game.refuse_seat("p2", "Olena", "name_taken")
    game.refuse_seat("p2", "\u041elena", "name_taken")


# ---- messages and other texts, in the engine ------------------------------------------------------

def in_talks(deck) -> tuple[Game, Actor]:
    game = Game(deck)
    game.seat("p1", "Olena")
    game.seat("p2", "Sergei", "russia")
    game.run(AdvancePhase(), UMPIRE_ACTOR)
    game.run(AdvancePhase(), UMPIRE_ACTOR)  # talks: the corridor table is open
    return game, member(game, "p1")


@pytest.mark.parametrize("typed", [ZWSP, ZWSP * 5, f" {ZWSP}\n{BOM}\t{HANGUL_FILLER} ", ZWJ + ZWNJ, "\u2800",
                                   "\x00\x01\x1b", "\ufe0f\ufe0f", "\u202e\u2066\u2069"])
def test_a_message_made_only_of_invisible_characters_is_refused(demo_deck, typed):
    game, olena = in_talks(demo_deck)
    error = game.refused(PostMessage("plenary", typed), olena, "invalid")
    assert error.fields == {"text": "empty"}


def test_joiners_inside_a_message_are_kept(demo_deck):
    game, olena = in_talks(demo_deck)
    typed = f"{ZWSP}{CODER} {PERSIAN}{ZWSP}"
    [posted] = game.run(PostMessage("plenary", typed), olena)
    assert posted.data["text"] == f"{CODER} {PERSIAN}"
    assert ZWJ in posted.data["text"] and ZWNJ in posted.data["text"]


def test_an_emoji_ending_a_message_keeps_its_variation_selector_and_tags(demo_deck):
    game, olena = in_talks(demo_deck)
    heart = "\u2764\ufe0f"
    scotland = "\U0001F3F4\U000E0067\U000E0062\U000E0073\U000E0063\U000E0074\U000E007F"
    for typed in (f"I {heart}", f"From {scotland}"):
        [posted] = game.run(PostMessage("plenary", typed + ZWSP + " "), olena)
        assert posted.data["text"] == typed


def test_control_characters_are_removed_and_line_breaks_made_one(demo_deck):
    game, olena = in_talks(demo_deck)
    [posted] = game.run(PostMessage("plenary", "We\x00 are\x07 ready.\r\nAre you?\rYes\u2028\tno\x1b[31m"), olena)
    assert posted.data["text"] == "We are ready.\nAre you?\nYes\n\tno[31m"


def test_message_lengths_are_counted_once_normalised(demo_deck):
    game, olena = in_talks(demo_deck)
    [posted] = game.run(PostMessage("plenary", "e\u0301" * MAX_TEXT + ZWSP * 50), olena)
    assert posted.data["text"] == "\u00e9" * MAX_TEXT
    game.refused(PostMessage("plenary", "x" * (MAX_TEXT + 1)), olena, "too_long")


def test_titles_and_reasons_are_one_line_and_inject_texts_keep_their_lines(demo_deck):
    game, olena = in_talks(demo_deck)
    [drafted] = game.run(DraftProposal("corridor", f"{ZWSP}Grain\r\ncorridor\t{JOSE_DECOMPOSED}{BOM}",
                                       (Clause("safe-route", "Odesa"),)), olena)
    assert drafted.data["title"] == f"Grain corridor {JOSE_COMPOSED}"
    game.refused(DraftProposal("corridor", ZWSP + HANGUL_FILLER, (Clause("safe-route", "Odesa"),)), olena, "invalid")

    [_, fired] = game.run(FireInject(title=f"Storm\nwarning{ZWSP}", text=f"{ZWSP}Ships wait.\r\nPorts close.\x00"),
                       UMPIRE_ACTOR)
    assert (fired.data["title"], fired.data["text"]) == ("Storm warning", "Ships wait.\nPorts close.")
    game.refused(FireInject(title="Storm", text=ZWSP), UMPIRE_ACTOR, "invalid")

    [changed, *_] = game.run(AdjustIndicator("escalation", 1, f"Strike\non a port{ZWSP}"), UMPIRE_ACTOR)
    assert changed.data["reason"] == "Strike on a port"
    error = game.refused(AdjustIndicator("escalation", 1, "\u2800"), UMPIRE_ACTOR, "invalid")
    assert error.fields == {"reason": "empty"}


# ---- the normalisation itself ----------------------------------------------------------------------

def test_the_skeleton_follows_tr39():
    assert names.skeleton("\u0440\u0430\u0443\u0440\u0430l") == names.skeleton("paypal")  # Cyrillic р а у
    assert names.skeleton("m") == names.skeleton("rn")
    assert names.skeleton("0") == names.skeleton("O") != names.skeleton("o")
    assert names.skeleton("I") == names.skeleton("l") == names.skeleton("1")
    assert names.skeleton("\u05d5") == names.skeleton("l")  # a right-to-left look-alike (Hebrew vav)
    assert names.skeleton("Ol" + ZWSP + "ena") == names.skeleton("Olena")
    assert names.skeleton("Olena") != names.skeleton("Elena")


TEXTS = st.text(st.characters(codec="utf-8") | st.sampled_from(
    [ZWSP, ZWJ, ZWNJ, BOM, HANGUL_FILLER, "\u2800", "\u0301", "\ufe0f", "\U000E0067", "\r", "\n", "\u2028",
     "\ud800", " ", "\t"]), max_size=30)


@settings(max_examples=300, deadline=None)
@given(TEXTS)
def test_normalising_twice_changes_nothing_and_leaves_no_blank_ends(typed):
    for lines in (True, False):
        once = clean_text(typed, lines)
        assert clean_text(once, lines) == once
        assert unicodedata.is_normalized("NFC", once)
        assert all(c in "\n\t" or unicodedata.category(c) not in ("Cc", "Cs") for c in once)
        assert not once or not (once[0].isspace() or invisible(once[0]))
        if not lines:
            assert "\n" not in once and "\t" not in once
    name = clean_name(typed)
    assert clean_name(name) == name and unicodedata.is_normalized("NFC", name)
    assert not any(invisible(c) or unicodedata.category(c) in ("Cc", "Cs") for c in name)
    assert name == name.strip() and "  " not in name
    assert names.name_keys(name) == names.name_keys(typed)


# ---- through the REST API and a live connection -----------------------------------------------------

@pytest.fixture
def codes(client):
    response = client.post("/api/exercises", json={"deck": "demo"})
    assert response.status_code == 201
    return {d["id"]: d["code"] for d in response.get_json()["delegations"]}


def post_join(client, code: str, name: str):
    response = client.post("/api/join", json={"code": code, "name": name})
    return response.status_code, response.get_json()


def test_joining_stores_and_answers_the_normalised_name(client, codes, exercises):
    status, body = post_join(client, codes["ukraine"], f" {JOSE_DECOMPOSED}{ZWSP} ")
    assert status == 201 and body["name"] == JOSE_COMPOSED
    whoami = client.get("/api/whoami", headers={"Authorization": f"Bearer {body['token']}"}).get_json()
    assert whoami["name"] == JOSE_COMPOSED  # from the participant row: stored normalised
    state = exercises.state(body["exercise"])
    assert [p.name for p in state.participants.members.values()] == [JOSE_COMPOSED]

    status, body = post_join(client, codes["russia"], JOSE_COMPOSED)
    assert status == 409 and body["error"]["code"] == "name_taken" and body["error"]["fields"] == {"name": "taken"}


def test_joining_as_a_look_alike_a_blank_or_a_reserved_name_is_refused(client, codes, exercises):
    status, first = post_join(client, codes["ukraine"], "Olena")
    assert status == 201
    for typed in (CYRILLIC_O, "Olena" + ZWSP, "olena"):
        status, body = post_join(client, codes["russia"], typed)
        assert (status, body["error"]["code"]) == (409, "name_taken"), typed
        assert "already called 'Olena'" in body["error"]["message"]
    for typed in (ZWSP, HANGUL_FILLER):
        status, body = post_join(client, codes["russia"], typed)
        assert (status, body["error"]["code"], body["error"]["fields"]) == (400, "invalid", {"name": "required"})
    for typed in ("Umpire", "umpire", UMPIRE_CYRILLIC_I):
        status, body = post_join(client, codes["russia"], typed)
        assert (status, body["error"]["code"], body["error"]["fields"]) == (400, "invalid", {"name": "reserved"})
    assert len(exercises.state(first["exercise"]).participants.members) == 1  # nothing else was stored


def test_live_a_look_alike_cannot_join_and_an_invisible_message_is_refused(table, exercises):
    """The table: Olena (Ukraine), Sergei (Russia), Ayse (Turkey), the umpire and an observer, connected."""
    ukraine, russia = table["ukraine"], table["russia"]
    before = table.last_seq()
    reply = http(table.base, "POST", "/api/join", {"code": table.created["codes"]["russia"], "name": CYRILLIC_O})
    assert reply.status == 409 and reply.error["code"] == "name_taken"
    reply = http(table.base, "POST", "/api/join", {"code": table.created["codes"]["un"], "name": UMPIRE_CYRILLIC_I})
    assert reply.status == 400 and reply.error["fields"] == {"name": "reserved"}

    error = ukraine.refused("post_message", "invalid", channel="plenary", text=ZWSP * 3 + HANGUL_FILLER)
    assert error["fields"] == {"text": "empty"}
    assert table.last_seq() == before  # nothing was stored

    typed = f"{ZWSP}{CODER} {PERSIAN}\x00\r\nok{BOM}"
    seq = ukraine.ok("post_message", channel="plenary", text=typed)
    posted = russia.wait_event("message_posted", author="Olena")
    assert posted["seq"] == seq and posted["data"]["text"] == f"{CODER} {PERSIAN}\nok"
    stored = [e.data["text"] for e in exercises.events(table.id, UMPIRE_ACTOR)
              if e.type == "message_posted" and e.data["author"] == "Olena"]
    assert stored == [f"{CODER} {PERSIAN}\nok"]  # as stored in the log


def test_live_a_joined_name_reaches_everyone_normalised(table):
    joined = join(table.base, table.created["codes"]["un"], f"Amina{ZWSP}\u200f")
    assert joined["name"] == "Amina"
    seated = table.umpire.wait_event("participant_seated", participant=joined["participant"])
    assert seated["data"]["name"] == "Amina"
    table["russia"].wait_for(lambda p: {"name": "Amina", "delegation": "un"} in p.state["members"],
                             what="Amina among the members")


def test_an_exercise_title_is_normalised_like_every_title(exercises):
    created = exercises.create("demo", f"{ZWSP}Seminar\r\ngroup B{BOM}")
    assert created.title == "Seminar group B"
    assert exercises.create("demo", ZWSP + HANGUL_FILLER).title == "Demo: a corridor for grain"  # blank: the deck's
