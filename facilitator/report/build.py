"""Gathering the after-action report: the exercise as one perspective saw it, from start to end.

Every byte comes through the one visibility boundary for the chosen perspective: the events it was told of
(``visible_events``), the state as it may see it (``view_state``) and its replay timeline (which charts only
the series it may see, the debrief's assessment as its view shows it). Nothing here reads a record of the
state but through ``view_state``.
"""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timezone
from itertools import pairwise
from typing import Any

from facilitator.engine import Actor, Event, sees, view_state
from facilitator.engine.audience import Audience
from facilitator.engine.visibility import PUBLIC, perspective_for
from facilitator.persistence.models import ExerciseRow
from facilitator.services.replay import perspective_name

from . import charts

FOLLOW = 8  # events listed after an inject, at most (fewer when the next inject comes first)
PRESENCE = ("participant_connected", "participant_connection_closed", "participant_disconnected")
# What an act moves, never what sets a move off: an indicator, a relation, a belief (told to its holder alone), a
# poll's reading of the gauges the act moved. A move's cause is the act, or the answer or agreement it set off.
CHANGES = ("indicator_changed", "relation_changed", "threshold_crossed", "belief_changed", "poll_published")
BOOKKEEPING = ("inject_added", "inject_edited", "inject_delayed", "inject_skipped", "inject_moved",
               "event_list_imported", "firing_set", "inject_due")  # exercise control's event list, not the play
CHART_MOVES = 40  # moves listed under a chart, at most (the largest ones, when there are more)


@dataclass(frozen=True, slots=True)
class Entry:
    """One event as the report tells it: when (seq, played seconds, date), what, in words, and who acted."""

    seq: int
    played: float
    at: datetime | None
    type: str
    kind: str
    title: str
    detail: str | None
    by: str | None
    channel: str | None = None  # a message's

    @property
    def moment(self) -> bool:
        """A moment to pick out in the timeline: a phase, an inject fired, an agreement, an alert."""
        return self.kind in ("phase", "inject", "agreement", "alert") and self.type not in BOOKKEEPING


@dataclass
class Report:
    """The after-action report of one exercise for one perspective (see ``build_report``)."""

    exercise_id: str
    perspective: str  # umpire, observers, public, d:<delegation>
    perspective_label: str
    control: bool  # the perspective is exercise control's: notes, kept bookmarks, draws, the event list
    title: str
    deck_id: str
    deck_title: str
    deck_summary: str
    created_at: datetime | None
    started_at: datetime | None
    ended_at: datetime | None
    ended: bool
    played: float  # seconds of play the perspective saw go by
    generated_at: datetime
    last_seq: int
    phases: list[dict]
    delegations: list[dict]
    situation: dict  # {indicators: [...], relations: [...]}: start and end values
    timeline: list[Entry]
    presence_left_out: int  # connection events, not listed in the timeline
    charts: list[dict]
    agreements: list[dict]
    signals: list[dict]
    injects: list[dict]
    moves: list[dict]
    ceasefire: dict
    bookmarks: list[dict]
    debrief: list[str]
    assessment: list[dict] | None  # None: no assessment for this perspective (or no debrief module)
    secrets: list[dict] = field(default_factory=list)  # the secret cards dealt that the perspective may see
    counts: dict = field(default_factory=dict)


def perspective_label(key: str, deck) -> str:
    """The perspective as the report's title names it: "Ukraine (what its delegation was told)"."""
    told = {"umpire": "everything that happened", "observers": "what the observers were told",
            PUBLIC: "what everyone was told"}.get(key, "what its delegation was told")
    name = perspective_name(key, deck)
    return f"{name[:1].upper()}{name[1:]} ({told})"


def build_report(replay, exercises, exercise_id: str, viewer: Actor, key: str,
                 now: datetime | None = None) -> Report:
    """The after-action report of ``exercise_id`` as perspective ``key`` saw it, asked for by ``viewer``.

    ``replay``: the ``ReplayService``; ``exercises``: the ``ExerciseService``. ``key``: ``umpire``,
    ``observers``, ``public`` or ``d:<delegation>``, one that ``viewer`` may take (as for the replay: see
    ``engine.visibility.replay_keys``). Raises ``RuleError``: ``not_found`` for an unknown exercise,
    ``invalid`` for an unknown perspective, ``forbidden`` for one ``viewer`` may not take.
    """
    timeline = replay.timeline(exercise_id, viewer, key)  # checks the exercise and the perspective
    last = timeline["last_seq"]
    state = replay.state_at(exercise_id, last)
    deck = state.deck
    as_viewer = perspective_for(key, deck)  # a known perspective ``viewer`` may take: timeline() refused any other
    view = view_state(state, as_viewer)
    seen = exercises.events(exercise_id, as_viewer, upto=last)
    played_of = dict(zip(timeline["steps"]["seq"], timeline["steps"]["played"]))
    control = sees(as_viewer, Audience.umpire_only())

    gather = _Gatherer(deck, seen, played_of)
    with replay.db.read() as session:
        row = session.get(ExerciseRow, exercise_id)
        created_at = _utc(row.created_at) if row is not None else None

    exercise = view["exercise"]
    phases = gather.phases()
    started = next((p["at"] for p in phases), None)
    ended_entry = next((e for e in gather.entries if e.type == "exercise_ended"), None)
    played = max(played_of.values(), default=0.0)
    report = Report(
        exercise_id=exercise_id, perspective=key, perspective_label=perspective_label(key, deck), control=control,
        title=exercise["title"], deck_id=exercise["deck"], deck_title=exercise["deck_title"],
        deck_summary=exercise.get("summary") or "", created_at=created_at, started_at=started,
        ended_at=ended_entry.at if ended_entry else None, ended=bool(exercise["ended"]), played=played,
        generated_at=now or datetime.now(timezone.utc), last_seq=last, phases=phases,
        delegations=_delegations(view), situation=_situation(view, timeline),
        timeline=[e for e in gather.entries if e.type not in PRESENCE],
        presence_left_out=sum(1 for e in gather.entries if e.type in PRESENCE),
        charts=_charts(timeline, view, gather, deck, played, control),
        agreements=gather.agreements(), signals=gather.signals(), injects=gather.injects(view),
        moves=gather.moves(), ceasefire=gather.ceasefire(), bookmarks=_bookmarks(view, timeline, gather),
        debrief=list(view.get("debrief") or []), assessment=_assessment(view), secrets=_secrets(view),
    )
    report.counts = {"events": len(seen), "signals": sum(len(d["plays"]) for d in report.signals),
                     "agreements": sum(1 for a in report.agreements if a["in_force"]),
                     "proposals": len(report.agreements), "injects": len(report.injects), "moves": len(report.moves),
                     "draws": len(report.ceasefire["draws"]), "bookmarks": len(report.bookmarks)}
    return report


def _utc(when: datetime | None) -> datetime | None:
    if when is None:
        return None
    return when if when.tzinfo else when.replace(tzinfo=timezone.utc)


# ---- the events the perspective was told of ---------------------------------------------------------------


def _who(actor, deck) -> str | None:
    if actor is None:
        return None
    if actor.delegation and deck.delegation(actor.delegation):
        name = deck.delegation(actor.delegation).name
        return f"{actor.name} ({name})" if actor.name else name
    return actor.name or actor.role.capitalize()


class _Gatherer:
    """The seen events, told in words, and what each part of the report makes of them."""

    def __init__(self, deck, seen: list[Event], played_of: dict[int, float]):
        self.deck = deck
        self.events = seen
        self.entries = [self._entry(e, played_of.get(e.seq, 0.0)) for e in seen]
        self.by_seq = {event.seq: (event, entry) for event, entry in zip(seen, self.entries)}
        # The events of one command share their time: its act (the event with an actor) and what the act set
        # off. ``effects``: an event -> the changes right after it, before the command's next event (a
        # delivered message aside); ``cause``: a change -> that event (else the act, or the first event of the
        # command the perspective saw); ``moved``: an act -> every change of its command.
        self.cause: dict[int, Entry] = {}
        self.moved: dict[int, list[Entry]] = defaultdict(list)
        self.effects: dict[int, list[Entry]] = defaultdict(list)
        start = 0
        while start < len(seen):
            end = start + 1
            while end < len(seen) and seen[end].at == seen[start].at:
                end += 1
            group = list(zip(seen[start:end], self.entries[start:end]))
            act = next((entry for event, entry in group if event.actor is not None and entry.type not in CHANGES),
                       None) or next((entry for _, entry in group if entry.type not in CHANGES), None)
            current = None
            for _, entry in group:
                if entry.type not in CHANGES:
                    if entry.type != "message_posted":
                        current = entry
                    continue
                if act is not None:
                    self.moved[act.seq].append(entry)
                if current is not None:
                    self.effects[current.seq].append(entry)
                if current or act:
                    self.cause[entry.seq] = current or act
            start = end

    def _entry(self, event: Event, played: float) -> Entry:
        summary = event.payload.describe(self.deck)
        detail = summary.detail
        if event.type in ("message_posted", "announcement_made", "inject_fired"):
            text = getattr(event.payload, "text", "") or ""
            detail = f"{detail}: {text}" if detail and event.type == "inject_fired" else (text or detail)
        named = event.actor is not None and event.actor.name and event.actor.name in summary.title
        return Entry(event.seq, played, event.at, event.type, summary.kind, summary.title, detail,
                     None if named else _who(event.actor, self.deck),
                     getattr(event.payload, "channel", None) if event.type == "message_posted" else None)

    def of(self, *types: str):
        """(event data, entry) of the seen events of ``types``, in order."""
        for event, entry in zip(self.events, self.entries):
            if event.type in types:
                yield event.data, entry

    def name(self, delegation: str | None) -> str:
        found = self.deck.delegation(delegation) if delegation else None
        return found.name if found else (delegation or "")

    def clause(self, clause_type: str) -> str:
        found = self.deck.clause_type(clause_type)
        return found.title if found else clause_type

    def names(self, ids) -> list[str]:
        return [self.name(i) for i in ids or ()]

    # ---- phases ----

    def phases(self) -> list[dict]:
        out = []
        for data, entry in self.of("phase_advanced", "exercise_ended"):
            if out and out[-1]["duration"] is None:
                out[-1]["duration"] = entry.played - out[-1]["played"]
            if entry.type == "phase_advanced":
                out.append({"index": data["index"] + 1, "name": data["name"], "minutes": data["minutes"],
                            "seq": entry.seq, "played": entry.played, "at": entry.at, "duration": None})
        return out

    # ---- agreements ----

    def agreements(self) -> list[dict]:
        found: dict[int, dict] = {}

        def proposal(number: int, data: dict) -> dict:
            if number not in found:
                found[number] = {"proposal": number, "title": data.get("title", f"Proposal #{number}"),
                                 "table": "", "parties": [], "drafted_by": None, "drafted": None, "version": None,
                                 "clauses": [], "signatures": [], "in_force": None, "withdrawn": None,
                                 "status": "open", "links": [], "amendments": []}
            return found[number]

        for data, entry in self.of("proposal_drafted", "proposal_amended", "proposal_signed", "proposal_withdrawn",
                                   "agreement_entered_into_force"):
            p = proposal(data["proposal"], data)
            if entry.type == "proposal_drafted":
                table = self.deck.table(data["table"])
                p.update(title=data["title"], table=table.name if table else data["table"],
                         parties=self.names(data["parties"]), drafted_by=self.name(data["drafted_by"]),
                         drafted=entry, version=data["version"], clauses=data["clauses"],
                         links=list(data["links"]))
            elif entry.type == "proposal_amended":
                p.update(title=data["title"], version=data["version"], clauses=data["clauses"],
                         links=list(data["links"]), signatures=[])  # an amendment calls for signing again
                p["amendments"].append({"entry": entry, "by": self.name(data["amended_by"]),
                                                       "version": data["version"]})
            elif entry.type == "proposal_signed":
                p["signatures"].append({"delegation": self.name(data["delegation"]), "signer": data["signer"],
                                        "version": data["version"], "entry": entry})
            elif entry.type == "proposal_withdrawn":
                p.update(withdrawn={"entry": entry, "by": self.name(data["by"])}, status="withdrawn")
            else:
                table = self.deck.table(data["table"])
                p.update(title=data["title"], table=p["table"] or (table.name if table else data["table"]),
                         parties=self.names(data["parties"]), clauses=data["clauses"], in_force=entry,
                         links=list(data["links"]), status="in force")
            if entry.type == "proposal_signed" and p["status"] == "open" and p["parties"] and \
                    {s["delegation"] for s in p["signatures"]} >= set(p["parties"]):
                p["status"] = "signed"
        for p in found.values():
            p["effects"] = self.effects.get(p["in_force"].seq, []) if p["in_force"] else []
        return [found[n] for n in sorted(found)]

    # ---- signals ----

    def signals(self) -> list[dict]:
        plays: dict[int, dict] = {}
        for data, entry in self.of("signal_played", "signal_reciprocated", "signal_withdrawn"):
            if entry.type == "signal_played":
                how = f"privately to {', '.join(self.names(data['to']))}" if data["to"] else "in public"
                plays[data["play"]] = {"play": data["play"], "title": data["title"], "text": data["text"],
                                       "by": data["by"], "how": how, "toward": self.names(data["toward"]),
                                       "entry": entry, "answers": [], "answered": [], "withdrawn": None,
                                       "effects": self.moved.get(entry.seq, [])}
            elif entry.type == "signal_reciprocated":
                answering, earlier = plays.get(data["play"]), plays.get(data["reciprocates"])
                if earlier is not None:
                    earlier["answers"].append({"by": self.name(data["by"]), "play": data["play"],
                                               "title": answering["title"] if answering else None, "entry": entry,
                                               "effects": self.effects.get(entry.seq, [])})
                if answering is not None:
                    answering["answered"].append({"by": self.name(data["answering"]), "play": data["reciprocates"],
                                                  "title": data["title"], "entry": entry})
            else:
                play = plays.get(data["play"])
                if play is not None:
                    play["withdrawn"] = {"entry": entry, "effects": self.effects.get(entry.seq, [])}
        out = []
        for d in self.deck.delegations:
            mine = [p for p in plays.values() if p["by"] == d.id]
            if mine:
                out.append({"delegation": d.id, "name": d.name, "plays": mine,
                            "answered": sum(1 for p in mine if p["answers"]),
                            "withdrawn": sum(1 for p in mine if p["withdrawn"])})
        return out

    # ---- injects ----

    def injects(self, view: dict) -> list[dict]:
        rows = {r["id"]: r for r in view.get("event_list") or []}  # exercise control's own notes on each row
        fired = [(i, e) for i, e in enumerate(self.entries) if e.type == "inject_fired"]
        out = []
        for n, (index, entry) in enumerate(fired):
            event = self.events[index]
            data = event.data
            upto = fired[n + 1][0] if n + 1 < len(fired) else len(self.entries)
            if n + 1 < len(fired):  # the next inject's own command (an ad hoc row added to fire it) did not follow
                while upto > index + 1 and self.entries[upto - 1].at == self.entries[fired[n + 1][0]].at:
                    upto -= 1
            followed = [e for e in self.entries[index + 1:upto]
                        if e.type not in PRESENCE and e.type not in BOOKKEEPING and e.at != entry.at]
            row = rows.get(data.get("row") or "")
            out.append({"entry": entry, "title": data["title"], "text": data["text"], "sender": data["sender"],
                        "kind": data["kind"], "to": self.names(data["to"]) if data["to"] else None,
                        "number": data.get("number"), "late": data.get("late"), "edited": data.get("edited"),
                        "effects": self.effects.get(entry.seq, []), "followed": followed[:FOLLOW],
                        "more": max(0, len(followed) - FOLLOW),
                        "expected_action": row["expected_action"] if row else "",
                        "controller_note": row["controller_note"] if row else ""})
        return out

    # ---- adjudications ----

    def moves(self) -> list[dict]:
        moves: dict[int, dict] = {}
        for data, entry in self.of("move_submitted", "move_adjudicated"):
            move = moves.setdefault(data["move"], {"move": data["move"], "by": self.name(data["by"]),
                                                   "action": data["action"], "result": "", "reasons": "",
                                                   "card": None, "submitted": None, "ruled": None,
                                                   "submitted_by": None, "effects": []})
            if entry.type == "move_submitted":
                card = self.deck.signal(data["card"]) if data.get("card") else None
                move.update(result=data["result"], reasons=data["reasons"], submitted=entry,
                            submitted_by=data["submitted_by"], card=card.title if card else None)
            else:
                move.update(ruled=entry, ruling=data["ruling"], outcome=data["outcome"], odds=data["odds"],
                            roll=data["roll"], succeeded=data["succeeded"], told=self.names(data["told"]),
                            effects=self.effects.get(entry.seq, []))
        return [moves[n] for n in sorted(moves)]

    # ---- the cease-fire ----

    def ceasefire(self) -> dict:
        events = [entry for _, entry in self.of("ceasefire_began", "ceasefire_incident", "ceasefire_collapsed",
                                                "risk_override_set")]
        draws, rules = [], {}
        for data, entry in self.of("ceasefire_risk_drawn"):
            draws.append({"entry": entry, "title": data["title"], "probability": data["probability"],
                          "roll": data["roll"], "occurred": data["occurred"], "override": data.get("override"),
                          "phases_held": data["phases_held"],
                          "modifiers": {self.clause(k): v for k, v in (data["modifiers"] or {}).items()}})
            rule = rules.setdefault(data["rule"], {"title": data["title"], "draws": 0, "expected": 0.0,
                                                   "occurred": 0})
            rule["draws"] += 1
            rule["expected"] += data["probability"]
            rule["occurred"] += bool(data["occurred"])
        return {"events": events, "draws": draws, "rules": list(rules.values()),
                "expected": sum(d["probability"] for d in draws), "occurred": sum(d["occurred"] for d in draws)}


# ---- from the state as the perspective may see it -----------------------------------------------------------


def _delegations(view: dict) -> list[dict]:
    members = defaultdict(list)
    for m in view.get("members") or []:
        members[m["delegation"]].append(m["name"])
    return [{"id": d["id"], "name": d["name"], "kind": d["kind"], "public_brief": d["public_brief"],
             "private_brief": d.get("private_brief"), "objectives": d.get("objectives"),
             "red_lines": d.get("red_lines"), "members": sorted(members.get(d["id"], []), key=str.casefold)}
            for d in view.get("delegations") or []]


def _situation(view: dict, timeline: dict) -> dict:
    starts = {s["id"]: s["points"][0][1] for s in timeline["series"] if s["points"]}
    ladder = view["exercise"].get("readiness_ladder") or []

    def rung(n):
        return ladder[n] if n is not None and 0 <= n < len(ladder) else n

    indicators = [{"name": i["name"], "start": starts.get(f"indicator:{i['id']}"), "end": i["value"],
                   "min": i["min"], "max": i["max"], "description": i.get("description") or ""}
                  for i in view.get("indicators") or []]
    relations = []
    for r in view.get("relations") or []:
        names = " – ".join(_delegation_name(view, d) for d in r["between"])
        relations.append({"name": names, "trust_start": starts.get(f"trust:{r['id']}"), "trust": r["trust"],
                          "readiness_start": rung(starts.get(f"readiness:{r['id']}")),
                          "readiness": r["readiness_label"]})
    return {"indicators": indicators, "relations": relations}


def _delegation_name(view: dict, delegation: str) -> str:
    return next((d["name"] for d in view.get("delegations") or [] if d["id"] == delegation), delegation)


def _bookmarks(view: dict, timeline: dict, gather: _Gatherer) -> list[dict]:
    played = {m["id"]: m["played"] for m in timeline["moments"] if m["kind"] == "bookmark"}
    out = []
    for mark in view.get("bookmarks") or []:
        marked = gather.by_seq.get(mark["at"])
        out.append({**mark, "played": played.get(mark["id"], 0.0), "event": marked[1] if marked else None})
    return out


def _assessment(view: dict) -> list[dict] | None:
    """The debrief's objectives and red lines against what happened (``engine.debrief``), as the perspective's
    view shows them once the exercise has ended: exercise control, every delegation's; a delegation, its own;
    anyone, those the umpire revealed to the room. None when there is none to show (or no debrief slice)."""
    return list(view.get("assessment") or []) or None


def _secrets(view: dict) -> list[dict]:
    """The secret cards dealt that the perspective's view shows (``engine.secret_cards``): its own, every one
    for exercise control, and those whose holder's objectives the debrief revealed to it; each with its holder's
    name."""
    return [{**s, "holder_name": _delegation_name(view, s["holder"])} for s in view.get("secrets") or []]


# ---- charts ----------------------------------------------------------------------------------------------


def _charts(timeline: dict, view: dict, gather: _Gatherer, deck, played: float, control: bool) -> list[dict]:
    """One chart per indicator, one per pair (trust and readiness together), each with the moves that
    moved it: where the perspective saw the act, the act; else the reason the change gave; and, when the chart
    had room for some phase's number only, ``phase_key``: every phase as "3 Signing"."""
    end = played
    phases = [(m["played"], m["title"]) for m in timeline["moments"] if m["type"] == "phase_advanced"]
    key = [" ".join(charts.phase_words(title)[:2]).strip() for _, title in phases]
    ladder = view["exercise"].get("readiness_ladder") or list(deck.readiness_ladder)
    series = {s["id"]: s for s in timeline["series"]}
    out = []
    for s in timeline["series"]:
        if s["kind"] == "indicator":
            moves = _moves_of(s, gather, "indicator")
            indicator = deck.indicator(s["id"].split(":", 1)[1])
            thresholds = [t.at for t in indicator.thresholds] if control and indicator else []
            chart = charts.indicator_chart(s["name"], s["points"], s["min"], s["max"], end, phases,
                                           _labelled(moves), thresholds)
            out.append({"id": s["id"], "kind": "indicator", "name": s["name"], "svg": chart.svg,
                        "phase_key": key if chart.numbered_phases else [],
                        "moves": _listed(moves), "count": len(moves),
                        "start": s["points"][0][1], "end": s["points"][-1][1]})
        elif s["kind"] == "trust":
            pair_id = s["id"].split(":", 1)[1]
            readiness = series.get(f"readiness:{pair_id}")
            name = s["name"].split(": ", 1)[-1]
            moves = _moves_of(s, gather, "trust", readiness, ladder)
            chart = charts.pair_chart(name, s["points"], readiness["points"] if readiness else [], ladder, end,
                                      phases, _labelled(moves))
            out.append({"id": f"pair:{pair_id}", "kind": "pair", "name": name, "svg": chart.svg,
                        "phase_key": key if chart.numbered_phases else [], "moves": _listed(moves),
                        "count": len(moves), "start": s["points"][0][1] if s["points"] else None,
                        "end": s["points"][-1][1] if s["points"] else None})
    return out


def _moves_of(series: dict, gather: _Gatherer, kind: str, readiness: dict | None = None,
              ladder=()) -> list[dict]:
    """Each move of a series (of a pair: trust and readiness), numbered as the chart labels them."""
    points = series["points"]
    moves = []
    if kind == "indicator":
        for before, point in pairwise(points):
            moves.append(_move(gather, point[2], point[0], f"{point[1]}", point[1] - before[1]))
    else:
        steps = {p[2]: p for p in points[1:]}
        rungs = {p[2]: p for p in (readiness["points"][1:] if readiness else [])}
        previous_trust = points[0][1] if points else None
        previous_rung = readiness["points"][0][1] if readiness and readiness["points"] else None
        for seq in sorted(set(steps) | set(rungs)):  # a point is made when either moves: say what did
            trust, rung = steps.get(seq), rungs.get(seq)
            parts, size = [], 0
            if trust is not None and trust[1] != previous_trust:
                delta = trust[1] - previous_trust
                parts.append(f"trust {delta:+d} → {trust[1]}")
                size += abs(delta)
            if rung is not None and rung[1] != previous_rung:
                label = ladder[rung[1]] if 0 <= rung[1] < len(ladder) else rung[1]
                parts.append(f"readiness → {label}")
                size += 10 * abs(rung[1] - previous_rung)
            previous_trust = trust[1] if trust is not None else previous_trust
            previous_rung = rung[1] if rung is not None else previous_rung
            if parts:
                point = trust or rung
                moves.append(_move(gather, seq, point[0], ", ".join(parts), size))
    for n, move in enumerate(moves, 1):
        move["n"] = n
    return moves


def _move(gather: _Gatherer, seq: int, played: float, value: str, delta: int) -> dict:
    found = gather.by_seq.get(seq)
    change = found[1] if found else None
    cause = gather.cause.get(seq)
    reason = change.detail if change else None
    named = re.findall(r"'([^']+)'", reason or "")
    if cause is not None and reason and (reason.casefold() in cause.title.casefold()
                                         or named and all(name in cause.title for name in named)):
        reason = None  # "signal 'X'" under "Russia played “X” …" says nothing more
    return {"seq": seq, "played": played, "value": value, "delta": delta, "size": abs(delta), "reason": reason,
            "cause": cause}


def _labelled(moves: list[dict]) -> list[tuple[float, int, int]]:
    """(played, seq, label number) of the moves listed under the chart."""
    listed = {m["n"] for m in _listed(moves)}
    return [(m["played"], m["seq"], m["n"]) for m in moves if m["n"] in listed]


def _listed(moves: list[dict]) -> list[dict]:
    if len(moves) <= CHART_MOVES:
        return moves
    largest = sorted(moves, key=lambda m: (-m["size"], m["seq"]))[:CHART_MOVES]
    return sorted(largest, key=lambda m: m["seq"])


def as_dict(report: Report) -> dict[str, Any]:
    """The report's fields (for the template)."""
    return {name: getattr(report, name) for name in report.__dataclass_fields__}
