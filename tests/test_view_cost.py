"""Publishing cheaply changes nothing a client receives.

After each command every perspective's view is recomputed (``view_sections``) and diffed (``diff``). Sections
whose state parts did not change are reused, entries whose records did not change are reused (``entries``), and
``diff`` skips entries that are the very same objects. These tests hold that against the plain way, with no
reuse at all: the same patches, the same ``sync``, nothing built for one perspective given to another; and the
umpire's ``presence`` moves ``last_active`` only at a resolution of 30 s (docs/protocol.md).
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from facilitator.decks import load_deck, load_notes
from facilitator.engine import (
    Actor,
    AdvancePhase,
    Clause,
    DraftProposal,
    EndExercise,
    FireInject,
    MarkPresence,
    PlaySignal,
    PostMessage,
    RuleError,
    SeatParticipant,
    SignProposal,
    WithdrawSignal,
    diff,
    initial_state,
    perspective_key,
    perspectives,
    run,
    view_sections,
    view_state,
)
from facilitator.engine.audience import UMPIRE_ACTOR
from facilitator.engine.bookmarks import AddBookmark, AddNote, RemoveBookmark
from facilitator.engine.core import VIEWS
from facilitator.engine.injects import MoveInject, SkipInject
from facilitator.engine.participants import ACTIVITY_RESOLUTION
from facilitator.engine.polls import PublishPoll
from facilitator.engine.visibility import Sections
from facilitator.services.feed import Feed

from .realtime_helpers import apply_patch, comparable

ROOT = Path(__file__).resolve().parents[1]
T0 = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)
DECK = load_deck(ROOT / "scenarios" / "demo.yaml", load_notes(ROOT / "seeds")).deck


def reference_diff(old: Sections | None, new: Sections) -> dict:
    """``diff`` as it was first written: the plain comparison of every entry, by value."""
    keys = {section.name: section.key for section in VIEWS}
    before = old.values if old is not None else {}
    set_, merge = {}, {}
    for name, value in new.values.items():
        if old is not None and name in old.inputs and len(old.inputs[name]) == len(new.inputs[name]) and all(
                x is y for x, y in zip(old.inputs[name], new.inputs[name])) and name in before:
            continue
        previous = before.get(name)
        if previous == value:
            continue
        key = keys.get(name)
        if key is None or previous is None:
            set_[name] = value
            continue
        old_by_key = {entry[key]: entry for entry in previous}
        upsert = [entry for entry in value if old_by_key.get(entry[key]) != entry]
        new_keys = [entry[key] for entry in value]
        change = {"key": key, "upsert": upsert}
        kept = set(new_keys)
        removed = [k for k in old_by_key if k not in kept]
        if removed:
            change["remove"] = removed
        arrived = [entry[key] for entry in previous if entry[key] in kept] + [
            entry[key] for entry in upsert if entry[key] not in old_by_key]  # the client's way, duplicates too
        if new_keys != arrived:
            change["order"] = new_keys
        merge[name] = change
    for name in [name for name in before if name not in new.values]:
        set_[name] = None
    patch = {}
    if set_:
        patch["set"] = set_
    if merge:
        patch["merge"] = merge
    return patch


# ---- a session, played command by command -----------------------------------------------------------


class Session:
    """The demo deck with two members seated per delegation, fed to a ``Feed`` as the server does, and checked
    after every command against views built afresh (no reuse) for every perspective."""

    def __init__(self):
        self.state = initial_state(DECK, "view-cost", "x1")
        self.now = T0
        self.members: list[Actor] = []
        for n in range(2):
            for d in DECK.delegations:
                self.seat(d.id)
        self.feed = Feed(self.state)
        self.clients = {key: comparable(self.feed.sync(viewer, self.now)["state"])
                        for key, viewer in self.feed.viewers.items()}
        self.steps = 0

    def seat(self, delegation: str) -> None:
        n = len(self.members)
        actor = Actor("delegation", delegation, f"p-{n}", f"Member {n}")
        self.state = run(self.state, SeatParticipant(actor.participant, actor.name, delegation), actor,
                         self.now)[1]
        self.members.append(actor)

    def do(self, command, actor: Actor, seconds: float = 5) -> bool:
        """Run ``command`` ``seconds`` after the last one, advance the feed and check every perspective."""
        self.now += timedelta(seconds=seconds)
        before = self.state
        try:
            events, after = run(before, command, actor, self.now)
        except RuleError:
            return False
        self.state = after
        payloads = self.feed.advance(events, after)
        self.steps += 1
        for key, viewer in self.feed.viewers.items():
            patch = payloads.get(key, {}).get("state", {})
            # the same patch as the plain diff of views built afresh, to the byte (the order of its keys too)
            whole = view_sections(after, viewer)
            expected = reference_diff(view_sections(before, viewer), whole)
            assert json.dumps(patch, default=str) == json.dumps(expected, default=str), key
            assert list(self.feed.views[key].values) == list(whole.values), key
            # the patch takes the client to exactly the view of the new state, and a sync gives that view
            apply_patch(self.clients[key], patch)
            fresh = comparable(view_state(after, viewer))
            assert self.clients[key] == fresh, key
            assert comparable(self.feed.sync(viewer, self.now)["state"]) == fresh, key
        self.check_nothing_shared()
        return True

    def check_nothing_shared(self) -> None:
        """No entry object of one perspective's view is in another's: each is built for its perspective."""
        owner: dict[int, str] = {}
        for key, sections in self.feed.views.items():
            assert sections.viewer == perspective_of(key)
            for value in sections.values.values():
                for entry in value if isinstance(value, list) else ():
                    if isinstance(entry, dict):
                        assert owner.setdefault(id(entry), key) == key, f"an entry of {owner[id(entry)]} in {key}"

    # what a step may be: a kind and a number to choose with (hypothesis draws both)

    def step(self, kind: str, pick: int, seconds: int) -> None:
        state, members = self.state, self.members
        member = members[pick % len(members)]
        if kind == "chat":
            self.do(PostMessage("plenary", f"message {self.steps}"), member, seconds)
        elif kind == "chat_delegation":
            self.do(PostMessage(f"delegation:{member.delegation}", f"aside {self.steps}"), member, seconds)
        elif kind == "inject":
            self.do(FireInject(title=f"Ad hoc {self.steps}", text="Something happened."), UMPIRE_ACTOR, seconds)
        elif kind == "inject_to":
            self.do(FireInject(title=f"To one {self.steps}", text="For you only.", to=(member.delegation,)),
                    UMPIRE_ACTOR, seconds)
        elif kind in ("planned", "skip", "move"):
            pending = [r.id for r in state.injects.rows if r.status == "pending"]
            if pending:
                row = pending[pick % len(pending)]
                command = {"planned": FireInject(row), "skip": SkipInject(row), "move": MoveInject(row, None)}[kind]
                self.do(command, UMPIRE_ACTOR, seconds)
        elif kind == "signal":
            hand = state.signals.hands.get(member.delegation, ())
            if hand:
                card = DECK.signal(hand[pick % len(hand)])
                self.do(PlaySignal(card.id, tuple(card.toward) if card.visibility == "private" else ()), member,
                        seconds)
        elif kind == "withdraw":
            plays = [p for p in state.signals.plays if p.active]
            if plays:
                play = plays[pick % len(plays)]
                by = next((m for m in members if m.delegation == play.by), member)
                self.do(WithdrawSignal(play.number), by, seconds)
        elif kind == "phase":
            self.do(AdvancePhase(), UMPIRE_ACTOR, seconds)
        elif kind == "poll":  # the polls section appears, between sections shown all along
            indicator = DECK.indicators[pick % len(DECK.indicators)]
            self.do(PublishPoll(indicator.id, 1 + pick % 10), UMPIRE_ACTOR, seconds)
        elif kind == "end":
            self.do(EndExercise(), UMPIRE_ACTOR, seconds)
        elif kind == "presence":
            self.do(MarkPresence(member.participant, pick % 3 != 0), UMPIRE_ACTOR, seconds)
        elif kind == "seat":
            self.seat_live(DECK.delegations[pick % len(DECK.delegations)].id, seconds)
        elif kind == "bookmark":
            self.do(AddBookmark(max(1, state.seq - pick % 5), f"mark {self.steps}", shared=pick % 2 == 0),
                    UMPIRE_ACTOR, seconds)
        elif kind == "note":
            self.do(AddNote(max(1, state.seq - pick % 7), f"note {self.steps}"), UMPIRE_ACTOR, seconds)
        elif kind == "unmark":
            if state.bookmarks:
                marks = sorted(state.bookmarks)
                self.do(RemoveBookmark(marks[pick % len(marks)]), UMPIRE_ACTOR, seconds)
        elif kind == "draft":
            for table in DECK.tables:
                first = next((m for m in members if m.delegation == table.delegations[0]), None)
                kinds = [k.id for k in DECK.clause_types if set(k.requires_parties) <= set(table.delegations)
                         and (not k.offered_by or table.delegations[0] in k.offered_by)
                         and (not k.tables or table.id in k.tables)][:2]
                if first and kinds and self.do(DraftProposal(table.id, f"Deal {self.steps}",
                                                             tuple(Clause(k, "terms") for k in kinds)), first,
                                               seconds):
                    return
        elif kind == "sign":
            open_ = [p for p in state.proposals.items if p.status == "open"]
            if open_:
                proposal = open_[pick % len(open_)]
                for party in proposal.parties:
                    signer = next((m for m in members if m.delegation == party), None)
                    if signer is not None and party not in proposal.signatures:
                        self.do(SignProposal(proposal.number), signer, seconds)
                        return

    def seat_live(self, delegation: str, seconds: int) -> None:
        n = len(self.members)
        actor = Actor("delegation", delegation, f"p-{n}", f"Member {n}")
        if self.do(SeatParticipant(actor.participant, actor.name, delegation), actor, seconds):
            self.members.append(actor)


def perspective_of(key: str) -> Actor:
    return next(p for p in perspectives(DECK) if perspective_key(p) == key)


KINDS = ["chat", "chat_delegation", "inject", "inject_to", "planned", "skip", "move", "signal", "withdraw",
         "phase", "presence", "seat", "bookmark", "note", "unmark", "draft", "sign", "poll"]


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.tuples(st.sampled_from(KINDS), st.integers(0, 1000), st.integers(0, 90)),
                min_size=1, max_size=30))
def test_every_perspective_gets_the_patches_of_the_plain_diff_and_ends_at_its_fresh_view(steps):
    session = Session()
    session.do(AdvancePhase(), UMPIRE_ACTOR)
    session.do(AdvancePhase(), UMPIRE_ACTOR)  # the talks: tables open
    for kind, pick, seconds in steps:
        session.step(kind, pick, seconds)


def test_a_long_session_of_injects_chat_and_signals_stays_exact():
    """Ad hoc injects pile up (the event list and the injects told only grow) between planned ones (a row in
    the middle changes), chat, signals played and withdrawn, proposals signed, polls published; sections
    appear (the polls, the assessments at the end)."""
    session = Session()
    session.do(AdvancePhase(), UMPIRE_ACTOR)
    session.do(AdvancePhase(), UMPIRE_ACTOR)  # the talks: tables open
    plan = ["inject", "chat", "inject_to", "inject", "planned", "signal", "chat_delegation", "move", "withdraw",
            "skip", "bookmark", "presence", "inject", "note", "unmark", "draft", "sign", "sign", "poll"]
    for i in range(90):
        session.step(plan[i % len(plan)], i * 7, 4 + i % 40)
    assert len(session.state.injects.fired) > 20
    assert any(p.status == "in_force" for p in session.state.proposals.items)
    assert "assessment" not in session.feed.views["umpire"].values
    session.step("end", 0, 10)  # the assessments appear, between sections shown all along
    session.step("bookmark", 3, 10)
    assert session.state.ended and "assessment" in session.feed.views["umpire"].values


# ---- memos: per perspective, as large as the section and no larger ---------------------------------


def test_an_entry_is_reused_while_its_record_is_the_same_object_and_the_memo_holds_only_the_section():
    session = Session()
    session.do(AdvancePhase(), UMPIRE_ACTOR)
    for n in range(30):
        session.do(FireInject(title=f"Ad hoc {n}", text="Something happened."), UMPIRE_ACTOR)
    umpire = session.feed.views["umpire"]
    rows = session.state.injects.rows
    first = umpire.values["event_list"][0]
    session.do(FireInject(title="One more", text="Again."), UMPIRE_ACTOR)
    after = session.feed.views["umpire"]
    assert after.values["event_list"][0] is first  # the same row: its entry, not a copy
    assert len(after.values["event_list"]) == len(rows) + 1
    for sections in session.feed.views.values():
        for calls in sections.memos.values():
            for _code, records, built, shown in calls:
                assert len(built) == len(records) and len(shown) <= len(records)
        fired = sections.memos["injects_fired"]
        assert fired[0][1] is session.state.injects.fired  # the state's own tuple: nothing held beyond it


def test_a_view_of_another_perspective_is_never_reused():
    session = Session()
    session.do(AdvancePhase(), UMPIRE_ACTOR)
    for n in range(5):
        session.do(FireInject(title=f"Umpire's {n}", text="Told to one delegation.", to=("ukraine",)), UMPIRE_ACTOR)
    umpire = session.feed.views["umpire"]
    russia = Actor("delegation", "russia")
    state = session.state
    mixed = view_sections(state, russia, umpire)  # a wrong previous: the umpire's view
    assert mixed.values == view_sections(state, russia).values
    assert comparable(view_state(state, russia)) == mixed.values
    told = {id(e) for value in umpire.values.values() if isinstance(value, list) for e in value}
    assert not told & {id(e) for value in mixed.values.values() if isinstance(value, list) for e in value}


# ---- diff: the same output as before, for any input --------------------------------------------------


def _entries(draw, keys):
    return [{"seq": k, "v": draw(st.integers(0, 2))} for k in keys]


@st.composite
def section_pairs(draw):
    """Two values of a keyed section (``injects_fired``, key ``seq``): with duplicates, reused entries, entries
    added at the end, removed, reordered."""
    old_keys = draw(st.lists(st.integers(0, 8), max_size=8))
    old = _entries(draw, old_keys)
    shape = draw(st.sampled_from(["append", "same", "random", "reuse"]))
    if shape == "append":
        new = old + _entries(draw, draw(st.lists(st.integers(0, 12), min_size=1, max_size=4)))
    elif shape == "same":
        new = list(old)
    elif shape == "reuse":
        new = [e if draw(st.booleans()) else dict(e) for e in old]
        new = draw(st.permutations(new)) if draw(st.booleans()) else new
    else:
        new = _entries(draw, draw(st.lists(st.integers(0, 8), max_size=8)))
    return old, new


@settings(max_examples=300, deadline=None)
@given(section_pairs(), st.booleans(), st.booleans())
def test_diff_gives_what_the_plain_diff_gives(pair, whole_changed, reused):
    old_value, new_value = pair
    old = Sections({"injects_fired": old_value, "exercise": {"a": 1}}, {"injects_fired": (object(),),
                                                                         "exercise": ("x",)})
    new_inputs = {"injects_fired": old.inputs["injects_fired"] if reused else (object(),),
                  "exercise": ("y",) if whole_changed else old.inputs["exercise"]}
    new = Sections({"injects_fired": new_value, "exercise": {"a": 2} if whole_changed else {"a": 1}}, new_inputs)
    assert diff(old, new) == reference_diff(old, new)
    assert diff(None, new) == reference_diff(None, new)
    # a client holding the old list (a key held twice too) ends at the new one, whenever its keys are unique
    # (``reused``: the section's state parts are the same objects, so the view holds the same list: no patch)
    if not reused and len({e["seq"] for e in new_value}) == len(new_value):
        client = {"injects_fired": list(old_value), "exercise": {"a": 1}}
        apply_patch(client, diff(old, new))
        assert client["injects_fired"] == new_value


def test_a_key_held_twice_is_put_right_by_the_next_patch():
    """A list the client holds with one key twice (which no rule makes today) is not left wrong: the patch
    gives the order whenever the client's own way would not reach it."""
    old = Sections({"injects_fired": [{"seq": 1, "v": 0}, {"seq": 1, "v": 1}]}, {"injects_fired": (object(),)})
    new = Sections({"injects_fired": [{"seq": 1, "v": 1}, {"seq": 2, "v": 0}]}, {"injects_fired": (object(),)})
    patch = diff(old, new)
    assert patch["merge"]["injects_fired"]["order"] == [1, 2]
    client = {"injects_fired": [{"seq": 1, "v": 0}, {"seq": 1, "v": 1}]}
    apply_patch(client, patch)
    assert client["injects_fired"] == new.values["injects_fired"]
    # the same entry twice, then once: nothing upserted, nothing removed, but the order given
    twice = Sections({"injects_fired": [{"seq": 2, "v": 0}, {"seq": 2, "v": 0}]}, {"injects_fired": (object(),)})
    once = Sections({"injects_fired": [{"seq": 2, "v": 0}]}, {"injects_fired": (object(),)})
    assert diff(twice, once) == reference_diff(twice, once) == {
        "merge": {"injects_fired": {"key": "seq", "upsert": [], "order": [2]}}}


# ---- the umpire's presence: last_active at a resolution of 30 s --------------------------------------


def _presence(session) -> dict:
    return {p["participant"]: p["last_active"] for p in session.feed.views["umpire"].values["presence"]}


def test_an_act_less_than_30_s_after_the_last_leaves_the_umpires_view_of_presence_as_it_is():
    assert ACTIVITY_RESOLUTION == timedelta(seconds=30)
    session = Session()
    member = session.members[0]
    session.do(AdvancePhase(), UMPIRE_ACTOR)
    session.do(PostMessage("plenary", "first"), member, seconds=60)
    acted = session.now
    assert _presence(session)[member.participant] == acted.isoformat()
    presence = session.state.presence

    before = session.feed.views["umpire"]
    session.do(PostMessage("plenary", "ten seconds later"), member, seconds=10)
    assert session.state.presence is presence  # the fold left it as it was
    assert session.feed.views["umpire"].values["presence"] is before.values["presence"]
    assert _presence(session)[member.participant] == acted.isoformat()

    session.do(PostMessage("plenary", "another ten"), member, seconds=10)  # 20 s after the one recorded
    assert _presence(session)[member.participant] == acted.isoformat()

    patches = []
    session.feed.advance = _recording(session.feed.advance, patches)
    session.do(PostMessage("plenary", "thirty-one seconds later"), member, seconds=11)  # 31 s after it
    assert _presence(session)[member.participant] == session.now.isoformat()
    (change,) = patches[-1]["umpire"]["state"]["merge"]["presence"]["upsert"]
    assert change["participant"] == member.participant and change["last_active"] == session.now.isoformat()
    assert all("presence" not in p.get("state", {}).get("merge", {}) for k, p in patches[-1].items()
               if k != "umpire")


def test_the_resolution_is_the_folds_so_a_replay_agrees_and_each_member_has_their_own():
    from facilitator.engine import replay

    session = Session()
    a, b = session.members[0], session.members[1]
    events = []
    session.feed.advance = _recording_events(session.feed.advance, events)
    session.do(AdvancePhase(), UMPIRE_ACTOR)
    recorded = {m.participant: T0 for m in session.members}  # seated at T0: joining counts
    for seconds, who in [(40, a), (5, b), (12, a), (20, a), (31, b), (1, a), (29, a), (1, a), (45, b)]:
        session.do(PostMessage("plenary", "hello"), who, seconds=seconds)
        if session.now - recorded[who.participant] >= timedelta(seconds=30):
            recorded[who.participant] = session.now
        assert session.state.presence.last_active[who.participant] == recorded[who.participant]
    assert dict(session.state.presence.last_active) == recorded
    again = replay(DECK, run_seating() + events)
    assert again.presence.last_active == session.state.presence.last_active


def run_seating():
    """The seating events of a ``Session``, as stored."""
    state, out = initial_state(DECK, "view-cost", "x1"), []
    n = 0
    for _ in range(2):
        for d in DECK.delegations:
            actor = Actor("delegation", d.id, f"p-{n}", f"Member {n}")
            events, state = run(state, SeatParticipant(actor.participant, actor.name, d.id), actor, T0)
            out += events
            n += 1
    return out


def _recording(advance, patches):
    def run_(events, state):
        payloads = advance(events, state)
        patches.append(payloads)
        return payloads
    return run_


def _recording_events(advance, out):
    def run_(events, state):
        out.extend(events)
        return advance(events, state)
    return run_


@pytest.mark.parametrize("seconds", [29, 30])
def test_the_edge_of_the_resolution(seconds):
    session = Session()
    member = session.members[0]
    session.do(PostMessage("plenary", "hello"), member, seconds=seconds)
    moved = session.state.presence.last_active[member.participant] != T0
    assert moved == (seconds >= 30)
