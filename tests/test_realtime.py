"""The live layer against a real server: several real Socket.IO clients on the websocket transport.

Every test runs the demo deck (delegations ukraine, russia, turkey, un; tables
corridor [ukraine+russia, mediated by turkey+un] and brokers [turkey+un]).
Audience checks compare what each connection received with what the umpire,
who sees everything, received, and with an independent reading of who may
read each channel.
"""

from __future__ import annotations

import json
import threading
from datetime import datetime

import pytest
import socketio
from sqlalchemy import create_engine, text

from facilitator.engine.audience import UMPIRE_ACTOR

from .conftest import database_text
from .realtime_helpers import TIMEOUT, Player, Table, comparable, create_exercise, http, join, table  # noqa: F401

SEATED = {"corridor": {"ukraine", "russia", "turkey", "un"}, "brokers": {"turkey", "un"}}
UMPIRE_ONLY = {"participant_connected", "participant_disconnected", "threshold_crossed", "ceasefire_risk_drawn",
               "inject_added", "inject_edited", "inject_delayed", "inject_skipped", "inject_moved", "inject_due",
               "event_list_imported", "firing_set", "risk_override_set", "staff_seated", "link_reissued"}
PRIVATE_CARD_TITLES = ("Quietly pause strikes on the ports", "Brief the UN on Russian naval movements")
CLAUSES = [{"clause_type": "safe-route", "terms": "From Odesa through the Bosporus"},
           {"clause_type": "maritime-truce", "terms": "No strikes on ports along the route"},
           {"clause_type": "joint-inspection", "terms": ""}]


# ---- who may read what, worked out independently of the events' own audience field ----------

def expected_readers(event: dict, log: list[dict]) -> tuple[set[str], bool] | None:
    """(delegations, observers) allowed to read ``event``, or None for everyone; from its meaning alone.

    ``log`` is the umpire's full log up to the event (to find back-channel members and proposal tables).
    """
    kind, data = event["type"], event["data"]
    if kind in UMPIRE_ONLY:
        return set(), False
    if kind == "message_posted":
        channel = data["channel"]
        if channel == "plenary":
            return None
        if channel == "umpire":
            return set(), False
        family, _, ref = channel.partition(":")
        if family == "table":
            return SEATED[ref], True
        if family == "delegation":
            return {ref}, False
        if family == "backchannel":
            opened = next(e for e in log if e["type"] == "backchannel_opened" and e["data"]["channel"] == channel)
            return set(opened["data"]["delegations"]), False
        raise AssertionError(f"unexpected channel {channel}")
    if kind == "backchannel_opened":
        return set(data["delegations"]), False
    if kind in ("signal_played", "signal_withdrawn"):
        played = data if kind == "signal_played" else \
            next(e for e in log if e["type"] == "signal_played" and e["data"]["play"] == data["play"])["data"]
        return None if played["visibility"] == "public" else ({played["by"], *played["to"]}, False)
    if kind == "relation_changed":
        return set(data["between"]), False
    if kind == "indicator_changed":
        return ({"ukraine"}, False) if data["indicator"] == "ua-support" else None
    if kind == "inject_fired":
        return None if data["to"] is None else (set(data["to"]), False)
    if kind.startswith("proposal_"):
        number = data["proposal"]
        drafted = next(e for e in log if e["type"] == "proposal_drafted" and e["data"]["proposal"] == number)
        return SEATED[drafted["data"]["table"]], True
    if kind == "signal_reciprocated":
        return None if event["audience"].get("everyone") else ({data["by"], data["answering"]}, False)
    return None


def reads(player: Player, readers) -> bool:
    if player.role == "umpire" or readers is None:
        return True
    delegations, observers = readers
    return observers if player.role == "observer" else player.delegation in delegations


def check_deliveries(umpire: Player, players: list[Player]) -> None:
    """Every player got exactly the events it may see (per the audience field and per their meaning), once each,
    in seq order; the umpire got the whole log without a gap."""
    log = umpire.events
    seqs = [e["seq"] for e in log]
    assert seqs == list(range(1, len(log) + 1)), "the umpire's log has gaps or repeats"
    for i, event in enumerate(log):
        readers = expected_readers(event, log[:i + 1])
        audience = event["audience"]
        if readers is None:
            assert audience == {"everyone": True}, event
        else:
            assert audience == {"everyone": False, "delegations": sorted(readers[0]), "observers": readers[1]}, event
    for player in players:
        got = player.seqs
        assert got == sorted(set(got)), f"{player.label} got events twice or out of order: {got}"
        upto = got[-1] if got else 0
        expected = [e["seq"] for i, e in enumerate(log[:upto])
                    if player.may_see(e) and reads(player, expected_readers(e, log[:i + 1]))]
        assert got == expected, f"{player.label}: missing {sorted(set(expected) - set(got))}, " \
                                f"extra {sorted(set(got) - set(expected))}"
        by_seq = {e["seq"]: e for e in log}
        for event in player.events:
            assert event == by_seq[event["seq"]], f"{player.label} got a different copy of #{event['seq']}"


def check_sync_view(player: Player, sync: dict, all_briefs: dict) -> None:
    """A sync state holds only what its viewer may see."""
    state = sync["state"]
    blob = json.dumps(sync)
    assert isinstance(sync["last_seq"], int) and state["last_seq"] == sync["last_seq"]
    datetime.fromisoformat(sync["server_time"])
    channels = {c["id"] for c in state["channels"]}
    mine = player.delegation
    control = {"presence", "event_list", "firing", "ceasefire_risks", "debrief"}  # exercise control's sections
    if player.role == "umpire":
        assert control <= set(state) and "umpire" in channels
        return
    assert not control & set(state) and "umpire" not in channels
    for delegation in state["delegations"]:
        full = delegation["id"] == mine
        for key in ("private_brief", "objectives", "red_lines", "hand"):
            assert (key in delegation) == full, (player.label, delegation["id"], key)
    for did, secrets in all_briefs.items():
        if did != mine:
            for secret in secrets:
                assert secret not in blob, f"{player.label}'s sync shows {did}'s private text"
    if player.role == "observer":
        assert channels == {"plenary", "table:corridor", "table:brokers"}
        assert state["relations"] == []
    else:
        tables = {f"table:{t}" for t, seated in SEATED.items() if mine in seated}
        backchannels = {c for c in channels if c.startswith("backchannel:")}
        assert channels == {"plenary", f"delegation:{mine}"} | tables | backchannels
        assert all(mine in r["between"] for r in state["relations"])
    indicators = {i["id"] for i in state["indicators"]}
    assert ("ua-support" in indicators) == (mine == "ukraine")
    for play in state["signals"]:
        assert not play["to"] or mine in [play["by"], *play["to"]], f"{player.label} sees private play {play}"
    for fired in state["injects_fired"]:
        assert fired["to"] is None or mine in fired["to"]
    for proposal in state["proposals"]:
        assert proposal["status"] == "in_force" or player.role == "observer" or mine in SEATED[proposal["table"]]


def private_texts(exercises, exercise_id: str) -> dict[str, list[str]]:
    deck = exercises.state(exercise_id).deck
    return {d.id: [t for t in (d.private_brief, *(g.text for g in d.objectives + d.red_lines)) if t]
            for d in deck.delegations}


def stored(exercises, exercise_id: str) -> list[dict]:
    """The whole log as stored, in the wire shape."""
    deck = exercises.deck(exercise_id)
    return [e.to_dict(deck) for e in exercises.events(exercise_id, UMPIRE_ACTOR)]


def talks(table: Table) -> None:
    """Open the briefing, then the talks (tables open)."""
    table.umpire.ok("advance_phase")
    table.umpire.ok("advance_phase")


# ---- one whole mini-exercise ----------------------------------------------------------------------

def test_a_whole_exercise(table, exercises):
    umpire, observer = table.umpire, table.observer
    ua, ru, tr = table["ukraine"], table["russia"], table["turkey"]
    for player in table.players:
        assert player.sync["state"]["exercise"]["phase"] is None
        assert player.sync["state"]["you"]["role"] == player.role

    # The umpire fires the deck's injects by hand here (the schedule has its own tests: test_schedule.py).
    umpire.ok("set_firing", automatic=False)
    # Briefing: tables are closed, delegations talk among themselves.
    seq = umpire.ok("advance_phase")
    for player in table.players:
        player.wait_event("phase_advanced", phase="briefing")
    assert ru.refused("post_message", "closed", channel="table:corridor", text="Shall we start?")["fields"] == \
        {"channel": "table:corridor"}
    ua.ok("post_message", channel="plenary", text="Good morning from Kyiv.")
    ua.ok("post_message", channel="delegation:ukraine", text="Our line: no word on territory.")
    ru.ok("post_message", channel="delegation:russia", text="Ask for the export statement first.")
    tr.ok("post_message", channel="delegation:turkey", text="We host, whatever happens.")
    umpire.ok("post_message", channel="umpire", text="Note to self: watch escalation.")
    opened = ua.ok("open_backchannel", delegations=["turkey"])
    backchannel = tr.wait_event("backchannel_opened", delegations=["turkey", "ukraine"])["data"]["channel"]
    tr.resume(None)
    assert backchannel in {c["id"] for c in tr.sync["state"]["channels"]}
    tr.ok("post_message", channel=backchannel, text="Istanbul is ready when you are.")
    ru.refused("post_message", "not_found", channel=backchannel, text="May I join?")
    ua.wait_event("message_posted", channel=backchannel)
    assert opened > seq

    # Talks: the corridor table opens; signals in public and in private.
    umpire.ok("advance_phase")
    ru.ok("post_message", channel="table:corridor", text="We are ready to talk about the route.")
    tr.ok("post_message", channel="table:corridor", text="Welcome to Istanbul.")
    ua.ok("play_signal", card="ua-demining-pledge")
    for player in table.players:
        player.wait_event("signal_played", card="ua-demining-pledge")

    # Turkey's connection drops; the session goes on without it.
    turkey_last = tr.seqs[-1]
    tr.close()
    umpire.wait_event("participant_disconnected", delegation="turkey")
    ru.ok("play_signal", card="ru-port-pause", to=["ukraine"])
    ua.wait_event("signal_reciprocated", by="russia")
    ua.ok("play_signal", card="ua-intel-share", to=["un"])
    ua.ok("post_message", channel=backchannel, text="Are you there?")
    ua.ok("draft_proposal", table="corridor", title="Black Sea grain corridor", clauses=CLAUSES)
    ru.ok("sign_proposal", proposal=1, version=1)
    in_force = ua.ok("sign_proposal", proposal=1, version=1)
    umpire.ok("fire_inject", inject="warships-report")
    ua.wait_event("inject_fired", inject="warships-report")
    paused = umpire.ok("pause_clock")
    pause = umpire.wait_event("clock_paused")
    assert 0 < pause["data"]["remaining"] <= 25 * 60
    escalation = exercises.state(table.id).indicators["escalation"]
    umpire.ok("adjust_indicator", indicator="escalation", delta=76 - escalation, reason="naval incident")
    crossed = umpire.wait_event("threshold_crossed", indicator="escalation")
    assert crossed["data"]["at"] == 75

    # Everyone still connected hears the agreement at once.
    for player in (umpire, ua, ru, observer):
        event = player.wait_event("agreement_entered_into_force", proposal=1)
        assert event["seq"] <= in_force and event["data"]["parties"] == ["ukraine", "russia"]
        player.wait_seq(paused)

    # Turkey comes back with the last seq it saw: a sync, then exactly what it missed and may see.
    before, now = len(tr.events), exercises.state(table.id).seq
    tr.connect(last_seq=turkey_last)
    sync = tr.sync
    missed = tr.events[before:]
    assert sync["last_seq"] == now  # (its own presence, for the umpire, comes right after)
    expected = [e["seq"] for e in stored(exercises, table.id)
                if turkey_last < e["seq"] <= sync["last_seq"] and tr.may_see(e)]
    assert [e["seq"] for e in missed] == expected
    kinds = {e["type"] for e in missed}
    assert {"proposal_drafted", "proposal_signed", "agreement_entered_into_force", "ceasefire_began",
            "message_posted", "clock_paused"} <= kinds
    assert not kinds & UMPIRE_ONLY and "inject_fired" not in kinds and "signal_played" not in kinds
    assert not any(title in json.dumps(missed) + json.dumps(sync) for title in PRIVATE_CARD_TITLES)
    # The sync carries the clock as it stands: paused, with the remaining time of the pause.
    clock = sync["state"]["exercise"]["clock"]
    assert clock["running"] is False and clock["remaining"] == pause["data"]["remaining"]
    assert clock["at"] is None  # a paused clock counts nothing down
    assert [p["proposal"] for p in sync["state"]["proposals"]] == [1]
    assert sync["state"]["proposals"][0]["status"] == "in_force"
    assert [p["card"] for p in sync["state"]["signals"]] == ["ua-demining-pledge"]
    umpire.wait_for(lambda p: len([e for e in p.of_type("participant_connected")
                                   if e["data"]["delegation"] == "turkey"]) == 2, what="Turkey back")

    # Then live events again: the clock resumes, the phase moves on (the truce is tested), an inject for Turkey.
    umpire.ok("resume_clock")
    resumed = tr.wait_event("clock_resumed")
    assert resumed["data"]["remaining"] == pause["data"]["remaining"]
    umpire.ok("advance_phase")
    assert umpire.of_type("ceasefire_risk_drawn"), "a cease-fire holds: the change of phase draws its risks"
    umpire.ok("fire_inject", to=["turkey"], title="A call from Ankara", text="The president wants a result today.")
    tr.wait_event("inject_fired", title="A call from Ankara")
    for player in table.players:
        player.wait_event("phase_advanced", phase="signing")
    table.settle()

    check_deliveries(umpire, [ua, ru, tr, observer])
    assert umpire.events == stored(exercises, table.id)
    briefs = private_texts(exercises, table.id)
    for player in table.players:
        check_sync_view(player, player.sync, briefs)
    for player in (ua, ru, tr, observer):
        assert [e["data"]["proposal"] for e in player.of_type("agreement_entered_into_force")] == [1]
        assert not {e["type"] for e in player.events} & UMPIRE_ONLY
    assert not ru.of_type("inject_fired") and not observer.of_type("inject_fired")
    assert [e["data"]["title"] for e in tr.of_type("inject_fired")] == ["A call from Ankara"]
    assert [e["data"]["inject"] for e in ua.of_type("inject_fired")] == ["warships-report"]
    for player in (tr, observer):
        assert not any(title in json.dumps(player.events) for title in PRIVATE_CARD_TITLES)


# ---- audiences ------------------------------------------------------------------------------------

def private_traffic(table: Table) -> None:
    """A session with something private in every kind of place."""
    umpire, ua, ru, tr = table.umpire, table["ukraine"], table["russia"], table["turkey"]
    talks(table)
    for player, channel in ((ua, "delegation:ukraine"), (ru, "delegation:russia"), (tr, "delegation:turkey"),
                            (umpire, "umpire"), (ua, "plenary"), (ru, "table:corridor"), (tr, "table:brokers"),
                            (umpire, "delegation:russia")):
        player.ok("post_message", channel=channel, text=f"{player.label} in {channel}")
    ru.ok("open_backchannel", delegations=["turkey"])
    ankara_moscow = tr.wait_event("backchannel_opened", delegations=["russia", "turkey"])["data"]["channel"]
    tr.ok("post_message", channel=ankara_moscow, text="Between Ankara and Moscow only.")
    ua.ok("open_backchannel", delegations=["un"])
    kyiv_new_york = ua.wait_event("backchannel_opened", delegations=["ukraine", "un"])["data"]["channel"]
    ua.ok("post_message", channel=kyiv_new_york, text="Kyiv to New York.")
    table.backchannels = (ankara_moscow, kyiv_new_york)
    ru.ok("play_signal", card="ru-port-pause", to=["ukraine"])
    ua.ok("play_signal", card="ua-intel-share", to=["un"])
    ua.ok("play_signal", card="ua-prisoner-offer", to=["russia"])
    tr.ok("play_signal", card="tr-host-offer")
    ua.ok("draft_proposal", table="corridor", title="Grain corridor", clauses=CLAUSES[:2])
    ru.ok("sign_proposal", proposal=1)
    ua.ok("sign_proposal", proposal=1)
    umpire.ok("fire_inject", inject="warships-report")
    umpire.ok("fire_inject", to=["russia"], title="Moscow calls", text="Hold the line on exports.")
    umpire.ok("add_inject", inject={"title": "Drill", "text": "A naval drill.", "phase": "talks", "minute": 5,
                                    "controller_note": "watch the tension"})
    drill = next(r["id"] for r in umpire.state["event_list"] if r["title"] == "Drill")
    umpire.ok("edit_inject", inject=drill, row={"title": "Drill", "text": "A larger drill.", "phase": "talks",
                                               "minute": 5})
    umpire.ok("delay_inject", inject=drill, minutes=5)
    umpire.ok("move_inject", inject=drill)
    umpire.ok("skip_inject", inject=drill)
    umpire.ok("set_firing", automatic=False)
    escalation = table.service.state(table.id).indicators["escalation"]
    umpire.ok("adjust_indicator", indicator="escalation", delta=80 - escalation, reason="a drill")
    umpire.ok("draw_ceasefire_risk")
    table.settle()


def test_no_connection_receives_an_event_outside_its_audience(table, exercises):
    private_traffic(table)
    umpire, others = table.umpire, [p for p in table.players if p.role != "umpire"]
    kinds = {e["type"] for e in umpire.events}
    not_here = {"participant_disconnected", "inject_due", "event_list_imported", "staff_seated", "link_reissued",
                "risk_override_set"}  # see test_schedule, test_event_list_csv, test_exercise_control
    assert UMPIRE_ONLY - not_here <= kinds, "every umpire-only kind of event should occur"
    check_deliveries(umpire, others)
    briefs = private_texts(exercises, table.id)
    for player in table.players:
        check_sync_view(player, player.sync, briefs)
        for sync in player.syncs:
            assert "token" not in json.dumps(sync["state"]["you"])
    for player in others:
        blob = json.dumps(player.events)
        for did, secrets in briefs.items():
            if did != player.delegation:
                assert not any(s in blob for s in secrets)
        assert not any(e["data"].get("channel") == "umpire" for e in player.events)
    assert not any(t in json.dumps(table.observer.events) for t in PRIVATE_CARD_TITLES)
    assert not any(t in json.dumps(table["turkey"].events) for t in PRIVATE_CARD_TITLES)

    # A new sync for everyone, now that there is private state to hide.
    for player in table.players:
        player.resume(None)
        check_sync_view(player, player.sync, briefs)
    assert {p["card"] for p in table.observer.sync["state"]["signals"]} == {"tr-host-offer"}
    assert {p["card"] for p in table["turkey"].sync["state"]["signals"]} == {"tr-host-offer"}
    ankara_moscow, kyiv_new_york = table.backchannels
    assert ankara_moscow in {c["id"] for c in table["turkey"].sync["state"]["channels"]}
    assert kyiv_new_york not in {c["id"] for c in table["turkey"].sync["state"]["channels"]}

    # And on reconnect: everyone comes back from zero and gets exactly their part of the log.
    log = stored(exercises, table.id)
    for player in others:
        player.close()
        fresh = Player(player.base, player.token, player.role, player.delegation, label=player.label)
        fresh.connect(0)
        try:
            assert fresh.seqs == [e["seq"] for i, e in enumerate(log)
                                  if fresh.may_see(e) and reads(fresh, expected_readers(e, log[:i + 1]))]
            check_sync_view(fresh, fresh.sync, briefs)
        finally:
            fresh.close()


def test_observers_see_plenary_and_tables_only(table):
    private_traffic(table)
    observer = table.observer
    channels = {e["data"]["channel"] for e in observer.of_type("message_posted")}
    assert channels == {"plenary", "table:corridor", "table:brokers"}
    kinds = {e["type"] for e in observer.events}
    assert "backchannel_opened" not in kinds and "relation_changed" not in kinds
    assert {e["data"]["card"] for e in observer.of_type("signal_played")} == {"tr-host-offer"}
    assert "proposal_drafted" in kinds and "agreement_entered_into_force" in kinds
    assert not kinds & UMPIRE_ONLY
    assert not any(e["data"].get("indicator") == "ua-support" for e in observer.events)


# ---- who may do what ---------------------------------------------------------------------------

def test_forbidden_commands_change_nothing(table, exercises):
    umpire, ua, ru, tr, observer = table.umpire, table["ukraine"], table["russia"], table["turkey"], table.observer
    talks(table)
    ua.ok("draft_proposal", table="corridor", title="Grain corridor", clauses=CLAUSES[:1])
    ru.ok("open_backchannel", delegations=["turkey"])
    backchannel = ru.wait_event("backchannel_opened")["data"]["channel"]
    ru.ok("play_signal", card="ru-safe-passage")
    start = table.settle()

    attempts = [
        (tr, "forbidden", "sign_proposal", {"proposal": 1}),              # a mediator is not a party
        (ua, "invalid", "sign_proposal", {"proposal": 1, "delegation": "russia"}),  # no signing for others
        (ua, "forbidden", "post_message", {"channel": "table:brokers", "text": "Let me in."}),
        (ua, "forbidden", "post_message", {"channel": "delegation:russia", "text": "Hello Moscow."}),
        (ua, "not_found", "post_message", {"channel": backchannel, "text": "Eavesdropping."}),
        (ua, "forbidden", "post_message", {"channel": "umpire", "text": "Hello control."}),
        (ua, "not_in_hand", "play_signal", {"card": "ru-port-pause", "to": ["russia"]}),
        (ua, "not_in_hand", "play_signal", {"card": "tr-host-offer"}),
        (ua, "forbidden", "withdraw_signal", {"play": 1}),
        (ru, "forbidden", "withdraw_proposal", {"proposal": 1}),
        (ua, "forbidden", "draft_proposal", {"table": "brokers", "title": "Ours", "clauses": CLAUSES[:1]}),
        (ua, "forbidden", "advance_phase", {}),
        (ua, "forbidden", "pause_clock", {}),
        (ua, "forbidden", "end_exercise", {}),
        (ua, "forbidden", "fire_inject", {"inject": "odesa-strike"}),
        (ua, "forbidden", "adjust_indicator", {"indicator": "escalation", "delta": -50, "reason": "wishful"}),
        (ua, "forbidden", "adjust_relation", {"between": ["ukraine", "russia"], "trust": 50, "reason": "x"}),
        (ua, "forbidden", "extend_clock", {"minutes": 5}),
        (ua, "forbidden", "draw_ceasefire_risk", {}),
        (observer, "forbidden", "post_message", {"channel": "plenary", "text": "Observers talk too?"}),
        (observer, "forbidden", "play_signal", {"card": "tr-host-offer"}),
        (observer, "forbidden", "open_backchannel", {"delegations": ["ukraine", "russia"]}),
        (observer, "forbidden", "advance_phase", {}),
        (umpire, "forbidden", "sign_proposal", {"proposal": 1}),          # the umpire signs for no one
    ]
    before = exercises.state(table.id)
    for player, code, kind, fields in attempts:
        error = player.refused(kind, code, **fields)
        if code == "invalid":
            assert "delegation" in error["fields"] and "delegation" in error["message"]
        assert exercises.state(table.id).seq == start
    after = exercises.state(table.id)
    assert after.proposals == before.proposals and after.signals == before.signals and after.phase == before.phase
    barrier = table.settle()
    assert barrier == start + 1
    for player in table.players:
        assert player.seqs[-1] == barrier and player.since(start) == [player.events[-1]], player.label


# ---- malformed payloads ------------------------------------------------------------------------

MALFORMED = [
    ("hello", "invalid", ""),
    ([1, 2, 3], "invalid", ""),
    (42, "invalid", ""),
    (None, "invalid", ""),
    ({}, "unknown_command", "type"),
    ({"type": "launch_missiles"}, "unknown_command", "type"),
    ({"type": 7}, "unknown_command", "type"),
    ({"type": "seat_participant", "participant": "p", "name": "Mallory", "delegation": "un"},
     "unknown_command", "type"),
    ({"type": "mark_presence", "participant": "p", "connected": True}, "unknown_command", "type"),
    ({"type": "post_message", "channel": "plenary"}, "invalid", "text"),
    ({"type": "post_message", "text": "hi"}, "invalid", "channel"),
    ({"type": "post_message", "channel": "plenary", "text": 5}, "invalid", "text"),
    ({"type": "post_message", "channel": ["plenary"], "text": "hi"}, "invalid", "channel"),
    ({"type": "post_message", "channel": "plenary", "text": "hi", "colour": "red"}, "invalid", "colour"),
    ({"type": "post_message", "channel": "plenary", "text": "x" * 2001}, "too_long", "text"),
    ({"type": "post_message", "channel": "plenary", "text": "x" * 60_000}, "too_long", "text"),
    ({"type": "post_message", "channel": "plenary", "text": "   "}, "invalid", "text"),
    ({"type": "post_message", "channel": "nowhere", "text": "hi"}, "not_found", "channel"),
    ({"type": "post_message", "channel": "plenary", "text": "hi", "seq": "3"}, "invalid", "seq"),
    ({"type": "post_message", "channel": "plenary", "text": "hi", "seq": -1}, "invalid", "seq"),
    ({"type": "sign_proposal", "proposal": "1"}, "invalid", "proposal"),
    ({"type": "sign_proposal", "proposal": True}, "invalid", "proposal"),
    ({"type": "sign_proposal", "proposal": 0}, "invalid", "proposal"),
    ({"type": "sign_proposal"}, "invalid", "proposal"),
    ({"type": "open_backchannel", "delegations": "turkey"}, "invalid", "delegations"),
    ({"type": "open_backchannel", "delegations": ["narnia"]}, "not_found", "delegations"),
    ({"type": "play_signal", "card": "ua-intel-share", "to": ["narnia"]}, "not_found", "to"),
    ({"type": "play_signal", "card": "ua-intel-share"}, "invalid", "to"),
    ({"type": "draft_proposal", "table": "corridor", "title": "T",
      "clauses": [{"clause_type": "safe-route", "terms": 5}]}, "invalid", "clauses.0.terms"),
    ({"type": "draft_proposal", "table": "corridor", "title": "T",
      "clauses": [{"clause_type": "safe-route", "terms": "y" * 2001}]}, "too_long", "clauses.0.terms"),
    ({"type": "draft_proposal", "table": "corridor", "title": "T" * 121, "clauses": CLAUSES[:1]},
     "too_long", "title"),
    ({"type": "draft_proposal", "table": "corridor", "title": "T", "clauses": []}, "invalid", "clauses"),
    ({"type": "draft_proposal", "table": "corridor", "title": "T", "clauses": "safe-route"}, "invalid", "clauses"),
]


def test_malformed_payloads_get_a_clear_error_and_change_nothing(table, exercises):
    talks(table)
    ua = table["ukraine"]
    start = table.settle()
    for payload, code, field in MALFORMED:
        ack = ua.send(payload)
        assert ack["ok"] is False, (payload, ack)
        error = ack["error"]
        assert error["code"] == code, (str(payload)[:80], error)
        assert set(error) == {"code", "message", "fields"} and error["message"]
        assert field in error["fields"], (str(payload)[:80], error)
        if field:  # the message names the field, or for an unknown reference, the value not found
            named = field.split(".")[-1].rstrip("s") in error["message"] or \
                (code == "not_found" and all(str(v) in error["message"] for v in error["fields"][field]))
            assert named, (str(payload)[:80], error)
        else:
            assert "'type'" in error["message"]
        assert len(error["message"]) < 1000, "an error message does not echo a huge payload back"
        assert exercises.state(table.id).seq == start
    # resume checks its argument too
    ack = ua.sio.call("resume", {"last_seq": "yesterday"}, timeout=TIMEOUT)
    assert ack["ok"] is False and ack["error"]["code"] == "invalid" and "last_seq" in ack["error"]["fields"]
    barrier = table.settle()
    assert barrier == start + 1
    for player in table.players:
        assert player.since(start) == [player.events[-1]], player.label
    # the limits are inclusive
    ua.ok("post_message", channel="plenary", text="x" * 2000)


def test_a_payload_over_the_message_limit_does_not_crash_the_server(table, exercises):
    talks(table)
    ua, ru = table["ukraine"], table["russia"]
    start = table.settle()
    acks = []
    ua.sio.emit("command", {"type": "post_message", "channel": "plenary", "text": "x" * (70 * 1024)},
                callback=lambda *args: acks.append(args))
    # The server may drop the connection (Engine.IO refuses packets over 64 KiB) or answer with an error.
    ua.wait_for(lambda p: not p.connected or acks, what="the huge payload to be refused")
    if acks:
        assert acks[0][0]["ok"] is False
    ua.close()
    assert exercises.state(table.id).seq == start or \
        {e["type"] for e in stored(exercises, table.id)[start:]} <= {"participant_disconnected"}
    assert not any(len(e["data"].get("text", "")) > 2000 for e in stored(exercises, table.id))
    # Everyone else is still served, and the dropped player can come back.
    seq = ru.ok("post_message", channel="plenary", text="Still here.")
    table.umpire.wait_seq(seq)
    table.observer.wait_seq(seq)
    again = Player(ua.base, ua.token, "delegation", "ukraine")
    try:
        again.connect(start)
        assert again.ok("post_message", channel="plenary", text="Back again.") > seq
    finally:
        again.close()


# ---- the log is written before anyone hears of it ------------------------------------------------

def test_every_event_is_in_the_database_before_any_client_hears_of_it(app, table, exercises):
    engine = create_engine(app.config["DATABASE_URL"])
    checks: list[tuple[int, str, str | None]] = []
    lock = threading.Lock()

    def look_up(event):
        with engine.connect() as connection:  # a fresh connection: only committed rows are visible
            found = connection.execute(text("SELECT type FROM events WHERE exercise_id = :x AND seq = :s"),
                                       {"x": table.id, "s": event["seq"]}).scalar()
        with lock:
            checks.append((event["seq"], event["type"], found))

    for player in (table["russia"], table.observer):
        original = player._on_update

        def on_update(update, original=original):
            for event in update["events"]:
                look_up(event)
            original(update)
        player.sio.on("update", on_update)
    try:
        private_traffic(table)
        table["russia"].ok("post_message", channel="table:corridor", text="One more.")
        table.settle()
    finally:
        engine.dispose()
    assert len(checks) > 20
    missing = [(seq, kind) for seq, kind, found in checks if found != kind]
    assert not missing, f"delivered before being stored: {missing}"


# ---- tokens ----------------------------------------------------------------------------------

@pytest.mark.parametrize("auth", [{"token": "not-a-token"}, {"token": ""}, {}, {"token": 12345},
                                  {"token": "x" * 500}, "just-a-string"], ids=repr)
def test_a_bad_token_is_refused_at_connect_with_a_reason(live_server, auth):
    created = create_exercise(live_server.url)
    player = Player(live_server.url, "unused", "delegation", "ukraine")
    with pytest.raises(socketio.exceptions.ConnectionError):
        player.connect(auth=auth)
    player.wait_for(lambda p: p.refusals, what="the refusal")
    refusal = player.refusals[0]
    assert refusal["data"]["code"] == "bad_token"
    assert refusal["message"] and refusal["data"]["message"] == refusal["message"]
    # a join code is not a token either
    coded = Player(live_server.url, created["codes"]["ukraine"], "delegation", "ukraine")
    with pytest.raises(socketio.exceptions.ConnectionError):
        coded.connect()
    coded.wait_for(lambda p: p.refusals, what="the refusal")
    assert coded.refusals[0]["data"]["code"] == "bad_token"
    # and the server goes on serving good tokens
    good = Player(live_server.url, created["umpire"]["token"], "umpire").connect()
    try:
        assert good.sync["state"]["you"]["role"] == "umpire"
    finally:
        good.close()


def test_tokens_open_only_their_own_exercise(table, live_server):
    other = create_exercise(live_server.url)
    other_member = join(live_server.url, other["codes"]["russia"], "Ivan")
    for token in (table["ukraine"].token, table.umpire.token, table.observer.token):
        reply = http(live_server.url, "GET", f"/api/exercises/{other['id']}/events", token=token)
        assert reply.status == 403 and reply.error["code"] == "forbidden"
    reply = http(live_server.url, "GET", f"/api/exercises/{table.id}/events", token=other_member["token"])
    assert reply.status == 403 and reply.error["code"] == "forbidden"
    reply = http(live_server.url, "GET", f"/api/exercises/{other['id']}/events", token=other_member["token"])
    assert reply.status == 200 and [e["type"] for e in reply.body["events"]] == ["participant_seated"]
    # a connection sees its own exercise only
    ivan = Player(live_server.url, other_member["token"], "delegation", "russia").connect()
    try:
        table["ukraine"].ok("post_message", channel="plenary", text="Only for exercise A.")
        table.settle()
        assert all(e["type"] in ("participant_seated", "participant_connected") for e in ivan.events)
        assert ivan.sync["state"]["members"] == [{"name": "Ivan", "delegation": "russia"}]
    finally:
        ivan.close()


def test_the_umpire_token_is_shown_once_and_never_again(table, live_server, app):
    base, token = live_server.url, table.umpire.token
    private_traffic(table)
    seen = []
    for path in ("/api/scenarios", f"/api/exercises/{table.id}", "/", "/umpire", "/join"):
        seen.append(http(base, "GET", path).body)
    for player in table.players:
        seen.append(http(base, "GET", f"/api/exercises/{table.id}/events", token=player.token).body)
        seen.append(http(base, "GET", "/api/whoami", token=player.token).body)
        seen += [player.events, player.syncs]
    seen.append(join(base, table.created["codes"]["un"], "Amina"))
    seen.append(join(base, table.created["observer"]["code"], "Projector"))
    seen.append(table.umpire.command("advance_phase"))
    blob = json.dumps(seen, default=str)
    assert token not in blob
    for player in table.players:
        if player.role == "delegation":
            assert player.token not in blob, "a participant's token leaked"
    # nor is it kept in clear in the database
    dump = database_text(app)
    assert token not in dump and table["ukraine"].token not in dump


# ---- presence ----------------------------------------------------------------------------------

def presence(umpire: Player, delegation: str) -> list[bool]:
    umpire.resume(None)
    return [p["connected"] for p in umpire.sync["state"]["presence"] if p["delegation"] == delegation]


PRESENCE_EVENTS = {"participant_connected", "participant_connection_closed", "participant_disconnected"}


def test_presence_is_shown_to_the_umpire_only(table):
    umpire, ua = table.umpire, table["ukraine"]
    first = umpire.syncs[0]["state"]["presence"]
    assert [p for p in first if p["delegation"] == "ukraine"] == [
        {"participant": ua.sync["state"]["you"]["participant"], "name": "Olena", "delegation": "ukraine",
         "connected": False, "connections": 0, "last_active": first[0]["last_active"]}]
    assert first[0]["last_active"]  # joining is the first thing they did
    connected = {e["data"]["delegation"] for e in umpire.of_type("participant_connected")}
    assert connected == {"ukraine", "russia", "turkey"}
    assert presence(umpire, "ukraine") == [True]

    second_tab = Player(ua.base, ua.token, "delegation", "ukraine").connect()
    umpire.wait_for(lambda p: len(p.of_type("participant_connected")) == 4, what="the second tab")
    assert umpire.of_type("participant_connected")[-1]["data"]["connections"] == 2
    second_tab.close()
    # One tab of two closed: still connected, and nothing says otherwise.
    closed = umpire.wait_event("participant_connection_closed", delegation="ukraine")
    assert closed["data"]["connections"] == 1 and not umpire.of_type("participant_disconnected")
    assert presence(umpire, "ukraine") == [True], "one tab is still open"
    ua.close()
    umpire.wait_for(lambda p: len(p.of_type("participant_disconnected")) == 1, what="the last tab")
    assert presence(umpire, "ukraine") == [False]
    assert presence(umpire, "russia") == [True]

    table.settle()
    for player in table.players[1:]:
        assert not {e["type"] for e in player.events} & PRESENCE_EVENTS
        assert all("presence" not in s["state"] for s in player.syncs)
        assert "presence" not in player.state
    assert not {e["type"] for e in second_tab.events} & PRESENCE_EVENTS
    for event in [e for e in umpire.events if e["type"] in PRESENCE_EVENTS]:
        assert event["audience"] == {"everyone": False, "delegations": [], "observers": False}


def test_a_connection_that_leaves_while_resuming_is_not_left_present(table, app, exercises):
    """Resume and disconnect run on different server threads; the last word must be 'disconnected'."""
    ua = table["ukraine"]
    for _ in range(25):
        tab = Player(ua.base, ua.token, "delegation", "ukraine").connect(resume=False)
        tab.sio.emit("resume", {"last_seq": None})
        tab.close()
    ua.close()
    namespace = app.extensions["socketio"].server.namespace_handlers["/"]
    umpire_seq = table.umpire.seqs[-1]

    def settled(_):  # every tab's disconnect handled, and the presence events balance out
        if any(c.identity.actor.delegation == "ukraine" for c in list(namespace.connections.values())):
            return False
        kinds = [e["type"] for e in table.umpire.events if e["data"].get("delegation") == "ukraine"]
        return kinds.count("participant_connected") == (kinds.count("participant_disconnected")
                                                        + kinds.count("participant_connection_closed"))
    table.umpire.wait_for(settled, what="Ukraine's presence to settle")
    assert table.umpire.seqs[-1] >= umpire_seq
    state = exercises.state(table.id)
    assert {p.name: state.presence.of(p.id) for p in state.participants.members.values()} == {
        "Olena": 0, "Sergei": 1, "Ayse": 1}
    assert presence(table.umpire, "ukraine") == [False]


# ---- optimistic concurrency --------------------------------------------------------------------

def test_a_command_with_a_stale_seq_is_refused(table, exercises):
    umpire, ua = table.umpire, table["ukraine"]
    seen = exercises.state(table.id).seq
    ua.ok("post_message", channel="plenary", text="Chatter does not make the umpire's view stale.")
    opened = umpire.ok("advance_phase", seq=seen)
    assert opened > seen + 1
    current = exercises.state(table.id).seq
    error = umpire.refused("advance_phase", "stale", seq=seen)  # a phase opened since: not again
    assert error["fields"] == {"seq": current} and "seq" in error["message"]
    assert exercises.state(table.id).seq == current
    seq = umpire.ok("advance_phase", seq=current)
    assert seq > current
    # a delegation's seq counts the whole log, events it cannot see included: it learns it from acks and syncs
    ua.resume(None)
    assert ua.sync["last_seq"] == seq
    umpire.ok("post_message", channel="umpire", text="Unseen by Ukraine.")
    ua.refused("post_message", "stale", channel="plenary", text="On an old view.", seq=seq)
    ua.resume(None)
    ua.ok("post_message", channel="plenary", text="On a fresh view.", seq=ua.sync["last_seq"])
    # and proposals have their own version check
    umpire.ok("advance_phase")
    ua.ok("draft_proposal", table="corridor", title="Grain corridor", clauses=CLAUSES[:1])
    ua.ok("amend_proposal", proposal=1, clauses=CLAUSES[:2])
    error = table["russia"].refused("sign_proposal", "stale", proposal=1, version=1)
    assert error["fields"] == {"version": 2}


# ---- under load: concurrent commands while connections drop and resume --------------------------

def test_concurrent_commands_and_reconnects_lose_nothing_and_repeat_nothing(table, exercises):
    talks(table)
    ua, ru, tr, observer = table["ukraine"], table["russia"], table["turkey"], table.observer
    failures: list[BaseException] = []

    def chatter(player: Player, channels: list[str], count: int = 12):
        try:
            for i in range(count):
                player.ok("post_message", channel=channels[i % len(channels)], text=f"{player.label} #{i}")
        except BaseException as exc:  # reported below; a thread must not swallow it
            failures.append(exc)

    def reconnecting(player: Player, times: int = 4):
        try:
            for _ in range(times):
                player.close()
                player.connect(last_seq=player.seqs[-1])
        except BaseException as exc:
            failures.append(exc)

    threads = [threading.Thread(target=chatter, args=(ua, ["plenary", "delegation:ukraine", "table:corridor"])),
               threading.Thread(target=chatter, args=(ru, ["table:corridor", "delegation:russia"])),
               threading.Thread(target=chatter, args=(table.umpire, ["umpire", "plenary"])),
               threading.Thread(target=reconnecting, args=(tr,)),
               threading.Thread(target=reconnecting, args=(observer,))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert not failures, failures
    table.settle()
    check_deliveries(table.umpire, [ua, ru, tr, observer])
    assert table.umpire.events == stored(exercises, table.id)
    corridor = [e["data"]["text"] for e in tr.of_type("message_posted") if e["data"]["channel"] == "table:corridor"]
    assert len(corridor) == 4 + 6  # every third of Ukraine's twelve, every second of Russia's


# ---- pushed state: the same boundary as everything else -------------------------------------------------

def _everything(player: Player) -> str:
    return json.dumps(player.received) + json.dumps(player.state)


def test_a_private_answer_and_its_public_effect_leak_to_no_one_else(table):
    """Ukraine's public pledge, answered by Russia privately: Turkey and the observers see the pledge unanswered
    and the public escalation gauge move, never by whom or to what; live, in their pushed state, on resume and
    in REST history."""
    umpire, ua, ru, tr, observer = table.umpire, table["ukraine"], table["russia"], table["turkey"], table.observer
    talks(table)
    pledge = ua.ok("play_signal", card="ua-demining-pledge")
    answer = ru.ok("play_signal", card="ru-port-pause", to=["ukraine"])
    table.settle()
    answered = ru.wait_event("signal_reciprocated")
    assert (answered["data"]["play"], answered["data"]["reciprocates"], answered["actor"]) == (2, 1, None)
    secret_title = table.service.deck(table.id).signal("ru-port-pause").title
    for insider in (ua, ru, umpire):
        assert [s["reciprocated_by"] for s in insider.state["signals"] if s["play"] == 1] == [[2]]
    for outsider in (tr, observer):
        outsider.resume(outsider.seqs[-1])
        assert [s["reciprocated_by"] for s in outsider.state["signals"]] == [[]]
        assert [s["play"] for s in outsider.sync["state"]["signals"]] == [1]
        moves = [e for e in outsider.since(pledge) if e["type"] == "indicator_changed"]
        assert moves and all(e["actor"] is None for e in moves)
        assert "a private signal" in [e["data"]["reason"] for e in moves]
        history = http(table.base, "GET", f"/api/exercises/{table.id}/events", token=outsider.token).body["events"]
        for event in outsider.events + history:
            assert event["type"] == "participant_seated" or (event["actor"] or {}).get("delegation") != "russia"
        blob = _everything(outsider) + json.dumps(history)
        assert secret_title not in blob and '"reciprocates"' not in blob
    assert answer > pledge


def test_pushed_state_always_equals_a_fresh_sync(table):
    """Each update's patch keeps every connection's state exactly where a new sync would put it."""
    private_traffic(table)
    table.umpire.ok("advance_phase")
    table.settle()
    for player in table.players:
        held = comparable(player.state)
        player.resume(player.seqs[-1])
        assert held == comparable(player.sync["state"]), player.label
