"""What one viewer may see of the state: the ``sync`` payload, filtered once, here."""

from __future__ import annotations

from dataclasses import asdict
from datetime import datetime, timezone

from .audience import DELEGATION, Actor, Audience, can_see
from .channels import channels_for, table_channel
from .deck import Effects
from .effects import indicator_audience
from .state import IN_FORCE, ExerciseState, Proposal


def view_state(state: ExerciseState, viewer: Actor, now: datetime | None = None) -> dict:
    now = now or datetime.now(timezone.utc)
    deck = state.deck
    umpire = viewer.is_umpire
    mine = viewer.delegation if viewer.role == DELEGATION else None
    phase = state.phase
    view = {
        "last_seq": state.seq,
        "you": viewer.to_dict(),
        "exercise": {
            "deck": deck.id, "deck_title": deck.title, "title": deck.title, "summary": deck.summary,
            "audience": deck.audience,
            "ended": state.ended,
            "phase": None if phase is None else {"index": state.phase_index, "id": phase.id, "name": phase.name,
                                                 "minutes": phase.minutes, "brief": phase.brief},
            "phases": [{"id": p.id, "name": p.name, "minutes": p.minutes} for p in deck.phases],
            "clock": {"running": state.clock.running, "remaining": round(state.clock.remaining_at(now), 3),
                      "at": now.isoformat()},
            "readiness_ladder": list(deck.readiness_ladder),
        },
        "delegations": [_delegation(state, d, umpire or d.id == mine) for d in deck.delegations],
        "tables": [{"id": t.id, "name": t.name, "delegations": list(t.delegations), "mediators": list(t.mediators),
                    "agenda": list(t.agenda), "channel": table_channel(t.id),
                    "open": state.table_open(t.id)} for t in deck.tables],
        "channels": channels_for(state, viewer),
        "indicators": [{"id": i.id, "name": i.name, "min": i.min, "max": i.max, "value": state.indicators[i.id],
                        "description": i.description}
                       for i in deck.indicators if can_see(indicator_audience(i), viewer)],
        "relations": [{"between": list(key), "trust": r.trust, "readiness": r.readiness,
                       "readiness_label": deck.readiness_ladder[r.readiness]}
                      for key, r in sorted(state.relations.items()) if umpire or (mine and mine in key)],
        "signals": [_play(state, p) for p in state.plays
                    if can_see(Audience.all() if p.public else Audience.of((p.by,) + p.to), viewer)],
        "clause_types": [{"id": k.id, "title": k.title, "text": k.text, "topics": list(k.topics),
                          "offered_by": list(k.offered_by), "requires_parties": list(k.requires_parties)}
                         for k in deck.clause_types],
        "proposals": [_proposal(state, p) for p in state.proposals if _sees_proposal(state, p, viewer)],
        "injects_fired": [{"inject": f.inject, "title": f.title, "seq": f.seq, "to": list(f.to) if f.to else None}
                          for f in state.injects_fired
                          if can_see(Audience.all() if f.to is None else Audience.of(f.to), viewer)],
        "ceasefire": None if state.ceasefire is None else {"agreement": state.ceasefire.agreement,
                                                           "began_phase": state.ceasefire.began_phase},
        "ceasefires_collapsed": state.ceasefires_collapsed,
    }
    if umpire:
        view["umpire"] = _umpire_extras(state)
    return view


def _delegation(state: ExerciseState, d, full: bool) -> dict:
    out = {"id": d.id, "name": d.name, "kind": d.kind, "public_brief": d.public_brief,
           "members": sorted(p.name for p in state.participants.values() if p.delegation == d.id)}
    if full:
        out.update({"private_brief": d.private_brief, "objectives": list(d.objectives), "red_lines": list(d.red_lines),
                    "hand": [_card(state.deck.signal(cid)) for cid in state.hands.get(d.id, ())]})
    return out


def _effects(e: Effects) -> dict:
    return {"indicators": dict(e.indicators), "trust": e.trust, "readiness": e.readiness}


def _card(card) -> dict:
    return {"id": card.id, "title": card.title, "text": card.text, "visibility": card.visibility,
            "reversible": card.reversible, "toward": list(card.toward), "credibility": card.credibility,
            "cost": _effects(card.cost), "effects": _effects(card.effects), "sources": list(card.sources)}


def _play(state: ExerciseState, p) -> dict:
    card = state.deck.signal(p.card)
    return {"play": p.number, "card": p.card, "title": card.title, "by": p.by, "to": list(p.to),
            "toward": list(p.toward), "active": p.active, "reversible": card.reversible,
            "reciprocated_by": list(p.reciprocated_by)}


def _sees_proposal(state: ExerciseState, p: Proposal, viewer: Actor) -> bool:
    if p.status == IN_FORCE:
        return True
    return can_see(Audience.of(state.deck.table(p.table).seated, observers=True), viewer)


def _proposal(state: ExerciseState, p: Proposal) -> dict:
    return {"proposal": p.number, "table": p.table, "title": p.title, "drafted_by": p.drafted_by,
            "clauses": [{"clause_type": cl.clause_type, "terms": cl.terms,
                         "title": state.deck.clause_type(cl.clause_type).title} for cl in p.clauses],
            "parties": list(p.parties), "links": list(p.links), "version": p.version,
            "signatures": list(p.signatures), "status": p.status}


def _umpire_extras(state: ExerciseState) -> dict:
    deck = state.deck
    fired = {f.inject for f in state.injects_fired}
    return {
        "presence": {d.id: [{"participant": p.id, "name": p.name, "connected": p.connections > 0}
                            for p in state.participants.values() if p.delegation == d.id]
                     for d in deck.delegations},
        "injects": [{"id": i.id, "title": i.title, "text": i.text, "kind": i.kind,
                     "audience": i.audience if isinstance(i.audience, str) else list(i.audience),
                     "schedule": asdict(i.schedule) if i.schedule else None, "effects": _effects(i.effects),
                     "fired": i.id in fired, "sources": list(i.sources)} for i in deck.injects],
        "ceasefire_risks": [{"id": r.id, "title": r.title, "text": r.text, "likelihood": r.likelihood,
                             "per_phase": r.per_phase, "modifiers": dict(r.modifiers),
                             "ends_ceasefire": r.ends_ceasefire} for r in deck.ceasefire_risks],
        "hands": {k: list(v) for k, v in state.hands.items()},
        "debrief": list(deck.debrief),
    }
