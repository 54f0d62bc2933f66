"""``decide``: what a command means under the rules, as a list of events.

A command that breaks a rule raises ``RuleError`` and yields nothing.
Randomness is drawn from the exercise seed and the current ``seq`` and the
outcome is written into the event, so folding the log never re-rolls.
"""

from __future__ import annotations

import random
from datetime import datetime, timezone

from . import commands as c
from . import events as ev
from .audience import DELEGATION, OBSERVER, Actor, Audience
from .channels import check_can_post
from .deck import PRIVATE, PUBLIC
from .effects import EffectBuilder, pairs_among, pairs_with
from .errors import RuleError
from .state import IN_FORCE, OPEN, SIGNED, WITHDRAWN, ExerciseState, Proposal, pair


def decide(state: ExerciseState, command, actor: Actor, now: datetime | None = None) -> list[ev.Event]:
    """The events ``command`` by ``actor`` produces; ``now`` is the time the events will carry."""
    handler = _DECIDERS.get(type(command))
    if handler is None:
        raise RuleError("unknown_command", f"Unknown command {type(command).__name__}.")
    if state.ended and not isinstance(command, (c.PostMessage, c.MarkPresence, c.ClearPresence,
                                                c.SeatParticipant)):
        raise RuleError("ended", "The exercise has ended.")
    out = EffectBuilder(state, actor)
    handler(state, command, actor, out, now or datetime.now(timezone.utc))
    return out.events


# ---- guards -------------------------------------------------------------

def _umpire(actor: Actor) -> None:
    if not actor.is_umpire:
        raise RuleError("forbidden", "Only the umpire may do this.")


def _member(actor: Actor) -> str:
    if actor.role != DELEGATION or not actor.delegation:
        raise RuleError("forbidden", "Only a delegation's members may do this.")
    return actor.delegation


def _started(state: ExerciseState) -> None:
    if state.phase is None:
        raise RuleError("not_started", "The exercise has not started yet: the umpire opens the first phase.")


def _known_delegations(state: ExerciseState, ids, field: str) -> tuple[str, ...]:
    unknown = [d for d in ids if state.deck.delegation(d) is None]
    if unknown:
        raise RuleError("not_found", f"Unknown delegation(s): {', '.join(unknown)}.", {field: unknown})
    return tuple(dict.fromkeys(ids))


def _text(value: str, field: str, limit: int) -> str:
    value = (value or "").strip()
    if not value:
        raise RuleError("invalid", f"'{field}' must not be empty.", {field: "empty"})
    if len(value) > limit:
        raise RuleError("too_long", f"'{field}' is {len(value)} characters; the limit is {limit}.",
                        {field: f"over {limit} characters"})
    return value


def _name(state: ExerciseState, id: str) -> str:
    return state.deck.delegation(id).name


# ---- participants and channels -------------------------------------------

def _seat_participant(state, cmd: c.SeatParticipant, actor, out, now):
    if not actor.is_umpire and actor.participant != cmd.participant:
        raise RuleError("forbidden", "A participant can only seat themselves.")
    _known_delegations(state, [cmd.delegation], "delegation")
    name = _text(cmd.name, "name", c.MAX_NAME)
    if cmd.participant in state.participants:
        raise RuleError("conflict", "This participant already has a seat.")
    if name.casefold() in state.names_in_use():
        raise RuleError("name_taken", f"Someone in this exercise is already called '{name}'. Choose another name.",
                        {"name": "taken"})
    out.emit(ev.PARTICIPANT_SEATED, {"participant": cmd.participant, "name": name, "delegation": cmd.delegation},
             Audience.all())


def _mark_presence(state, cmd: c.MarkPresence, actor, out, now):
    participant = state.participants.get(cmd.participant)
    if participant is None:
        return
    if not actor.is_umpire and actor.participant != cmd.participant:
        raise RuleError("forbidden", "Presence is reported by the server for the participant itself.")
    kind = ev.PARTICIPANT_CONNECTED if cmd.connected else ev.PARTICIPANT_DISCONNECTED
    out.emit(kind, {"participant": participant.id, "name": participant.name,
                    "delegation": participant.delegation}, Audience.umpire_only())


def _clear_presence(state, cmd: c.ClearPresence, actor, out, now):
    _umpire(actor)
    for participant in state.participants.values():
        if participant.connections:
            out.emit(ev.PARTICIPANT_DISCONNECTED, {"participant": participant.id, "name": participant.name,
                                                   "delegation": participant.delegation, "all": True,
                                                   "reason": "server restarted"}, Audience.umpire_only())


def _post_message(state, cmd: c.PostMessage, actor, out, now):
    audience = check_can_post(state, actor, cmd.channel)
    text = _text(cmd.text, "text", c.MAX_TEXT)
    out.emit(ev.MESSAGE_POSTED, {"channel": cmd.channel, "text": text, "author": actor.name or "Umpire",
                                 "delegation": actor.delegation}, audience)


def _open_backchannel(state, cmd: c.OpenBackchannel, actor, out, now):
    if actor.role == OBSERVER:
        raise RuleError("forbidden", "Observers cannot open back-channels.")
    wanted = list(cmd.delegations) + ([actor.delegation] if not actor.is_umpire else [])
    members = tuple(sorted(_known_delegations(state, wanted, "delegations")))
    if len(members) < 2:
        raise RuleError("invalid", "A back-channel joins at least two delegations.", {"delegations": "too few"})
    for existing in state.backchannels:
        if set(existing.delegations) == set(members):
            raise RuleError("conflict", f"That back-channel is already open ({existing.channel}).",
                            {"channel": existing.channel})
    number = len(state.backchannels) + 1
    out.emit(ev.BACKCHANNEL_OPENED, {"number": number, "channel": f"backchannel:{number}",
                                     "delegations": list(members)}, Audience.of(members))


# ---- signals --------------------------------------------------------------

def _play_signal(state, cmd: c.PlaySignal, actor, out, now):
    me = _member(actor)
    _started(state)
    card = state.deck.signal(cmd.card)
    if card is None:
        raise RuleError("not_found", f"There is no signal card '{cmd.card}'.", {"card": "unknown"})
    if cmd.card not in state.hands.get(me, ()):
        raise RuleError("not_in_hand", f"'{card.title}' is not in {_name(state, me)}'s hand.", {"card": "not in hand"})
    to = _known_delegations(state, cmd.to, "to")
    toward = _known_delegations(state, cmd.toward or card.toward, "toward")
    if me in to or me in toward:
        raise RuleError("invalid", "A delegation does not signal to itself.", {"to": "includes yourself"})
    if card.visibility == PUBLIC and to:
        raise RuleError("invalid", f"'{card.title}' is a public signal; it cannot be played privately.", {"to": "not allowed"})
    if card.visibility == PRIVATE and not to:
        raise RuleError("invalid", f"'{card.title}' is private: name the delegations it goes to.", {"to": "required"})
    number = len(state.plays) + 1
    audience = Audience.all() if not to else Audience.of((me,) + to)
    out.emit(ev.SIGNAL_PLAYED, {"play": number, "card": card.id, "title": card.title, "text": card.text,
                                "by": me, "to": list(to), "toward": list(toward), "reversible": card.reversible,
                                "visibility": PUBLIC if not to else PRIVATE}, audience)
    addressees = to or toward  # as SignalPlay.addressees
    # A change's reason reaches all who see the change (everyone, for a public indicator): it must not
    # name a private signal.
    cost_reason, reason = ((f"cost of the signal '{card.title}'", f"signal '{card.title}'") if not to
                           else ("cost of a private signal", "a private signal"))
    out.apply(card.cost, pairs_with(me, addressees), cost_reason)
    out.apply(card.effects, pairs_with(me, addressees), reason)
    _reciprocations(state, number, card, me, addressees, bool(to), out)


def _reciprocations(state, number, card, me, addressees, private, out):
    """A signal toward a delegation that has an active signal toward us answers it.

    Only signals each side was told of count: ``addressees`` are those the new signal speaks to, and an
    earlier signal is answered only by one of its own addressees. Only conciliatory signals (cards that
    raise trust) answer, or are answered: a threat is no reply to an olive branch.
    """
    if card.effects.trust <= 0:
        return
    for earlier in state.plays:
        if not earlier.active or earlier.by == me or earlier.by not in addressees or me not in earlier.addressees:
            continue
        if any(state.play(n).by == me for n in earlier.reciprocated_by):
            continue
        answered = state.deck.signal(earlier.card)
        if answered.effects.trust <= 0:
            continue
        audience = Audience.all() if not private and earlier.public else Audience.of({me, earlier.by})
        out.emit(ev.SIGNAL_RECIPROCATED, {"play": number, "reciprocates": earlier.number, "by": me,
                                          "answering": earlier.by, "title": answered.title}, audience)
        reason = f"reciprocated signal '{answered.title}'" if audience.everyone else "a private signal reciprocated"
        out.apply(answered.on_reciprocated, pairs_with(me, [earlier.by]), reason)


def _withdraw_signal(state, cmd: c.WithdrawSignal, actor, out, now):
    me = _member(actor)
    play = state.play(cmd.play)
    if play is None:
        raise RuleError("not_found", f"There is no signal #{cmd.play}.", {"play": "unknown"})
    if play.by != me:
        raise RuleError("forbidden", "Only the delegation that played a signal may withdraw it.")
    card = state.deck.signal(play.card)
    if not card.reversible:
        raise RuleError("irreversible", f"'{card.title}' cannot be withdrawn.")
    if not play.active:
        raise RuleError("conflict", f"'{card.title}' has already been withdrawn.")
    audience = Audience.all() if play.public else Audience.of((me,) + play.to)
    out.emit(ev.SIGNAL_WITHDRAWN, {"play": play.number, "card": card.id, "title": card.title, "by": me}, audience)
    reason = f"withdrew the signal '{card.title}'" if play.public else "withdrew a private signal"
    out.apply(card.withdrawal_effects, pairs_with(me, play.addressees), reason)


# ---- proposals and agreements --------------------------------------------

def _check_clauses(state, table, me, clauses) -> list[dict]:
    if not clauses:
        raise RuleError("invalid", "A proposal needs at least one clause.", {"clauses": "empty"})
    checked = []
    for i, clause in enumerate(clauses):
        kind = state.deck.clause_type(clause.clause_type)
        if kind is None:
            raise RuleError("not_found", f"There is no clause type '{clause.clause_type}'.",
                            {f"clauses.{i}.clause_type": "unknown"})
        if kind.offered_by and me not in kind.offered_by:
            who = " or ".join(_name(state, d) for d in kind.offered_by)
            raise RuleError("not_offerable", f"Only {who} can offer '{kind.title}'.",
                            {f"clauses.{i}.clause_type": "not yours to offer"})
        absent = [d for d in kind.requires_parties if d not in table.delegations]
        if absent:
            who = ", ".join(_name(state, d) for d in absent)
            raise RuleError("missing_party", f"'{kind.title}' cannot be agreed without {who}, and {who} "
                                             f"is not a party at '{table.name}'.",
                            {f"clauses.{i}.clause_type": f"needs {who} at the table"})
        terms = (clause.terms or "").strip()
        if len(terms) > c.MAX_TEXT:
            raise RuleError("too_long", f"Clause {i + 1} terms exceed {c.MAX_TEXT} characters.",
                            {f"clauses.{i}.terms": "too long"})
        checked.append({"clause_type": kind.id, "title": kind.title, "terms": terms})
    return checked


def _check_links(state, links, own: int | None) -> list[int]:
    for number in links:
        linked = state.proposal(number)
        if linked is None or number == own:
            raise RuleError("not_found", f"Cannot link to proposal #{number}.", {"links": number})
        if linked.status == WITHDRAWN:
            raise RuleError("conflict", f"Proposal #{number} was withdrawn.", {"links": number})
    return sorted(set(links))


def _seated_table(state, table_id, me):
    table = state.deck.table(table_id)
    if table is None:
        raise RuleError("not_found", f"There is no table '{table_id}'.", {"table": "unknown"})
    if me not in table.seated:
        raise RuleError("forbidden", f"{_name(state, me)} does not sit at '{table.name}'.")
    if not state.table_open(table.id):
        raise RuleError("closed", f"'{table.name}' is closed at this point of the exercise.")
    return table


def _check_readiness(state, table) -> None:
    """Formal proposals at a table wait until every pair of its parties has climbed far enough."""
    ladder = state.deck.readiness_ladder
    for key in pairs_among(table.delegations):
        relation = state.relations.get(key)
        if relation is not None and relation.readiness < table.min_readiness:
            names = " and ".join(_name(state, d) for d in key)
            raise RuleError("not_ready", f"Proposals at '{table.name}' need '{ladder[table.min_readiness]}' "
                                         f"between {names}; they are at '{ladder[relation.readiness]}'.")


def _table_audience(table) -> Audience:
    return Audience.of(table.seated, observers=True)


def _draft_proposal(state, cmd: c.DraftProposal, actor, out, now):
    me = _member(actor)
    _started(state)
    table = _seated_table(state, cmd.table, me)
    _check_readiness(state, table)
    title = _text(cmd.title, "title", c.MAX_TITLE)
    clauses = _check_clauses(state, table, me, cmd.clauses)
    links = _check_links(state, cmd.links, None)
    number = len(state.proposals) + 1
    out.emit(ev.PROPOSAL_DRAFTED, {"proposal": number, "table": table.id, "title": title, "drafted_by": me,
                                   "clauses": clauses, "parties": list(table.delegations), "links": links,
                                   "version": 1}, _table_audience(table))


def _open_proposal(state, number: int, me: str) -> tuple[Proposal, object]:
    proposal = state.proposal(number)
    if proposal is None:
        raise RuleError("not_found", f"There is no proposal #{number}.", {"proposal": "unknown"})
    table = _seated_table(state, proposal.table, me)
    if proposal.status not in (OPEN, SIGNED):
        raise RuleError("conflict", f"Proposal #{number} is {proposal.status.replace('_', ' ')}.")
    return proposal, table


def _amend_proposal(state, cmd: c.AmendProposal, actor, out, now):
    me = _member(actor)
    proposal, table = _open_proposal(state, cmd.proposal, me)
    title = _text(cmd.title, "title", c.MAX_TITLE) if cmd.title is not None else proposal.title
    clauses = _check_clauses(state, table, me, cmd.clauses)
    links = _check_links(state, cmd.links, proposal.number) if cmd.links is not None else list(proposal.links)
    out.emit(ev.PROPOSAL_AMENDED, {"proposal": proposal.number, "title": title, "clauses": clauses,
                                   "links": links, "version": proposal.version + 1, "amended_by": me},
             _table_audience(table))


def _sign_proposal(state, cmd: c.SignProposal, actor, out, now):
    me = _member(actor)
    proposal, table = _open_proposal(state, cmd.proposal, me)
    if me not in proposal.parties:
        raise RuleError("forbidden", f"{_name(state, me)} is not a party to proposal #{proposal.number}.")
    if cmd.version is not None and cmd.version != proposal.version:
        raise RuleError("stale", f"Proposal #{proposal.number} was amended (now version {proposal.version}); "
                                 "read it again before signing.", {"version": proposal.version})
    if me in proposal.signatures:
        raise RuleError("already_signed", f"{_name(state, me)} has already signed proposal #{proposal.number}.")
    kinds = [state.deck.clause_type(cl.clause_type) for cl in proposal.clauses]
    for kind in kinds:
        for condition in kind.sign_conditions:
            if condition.delegation == me and out.indicator_value(condition.indicator) < condition.min:
                name = state.deck.indicator(condition.indicator).name
                raise RuleError("cannot_ratify", condition.message or
                                f"{_name(state, me)} cannot ratify '{kind.title}' while {name} is below "
                                f"{condition.min}.")
    out.emit(ev.PROPOSAL_SIGNED, {"proposal": proposal.number, "delegation": me, "version": proposal.version,
                                  "signer": actor.name}, _table_audience(table))
    for kind in kinds:
        cost = kind.signing_costs.get(me)
        if cost:
            out.apply(cost, pairs_with(me, proposal.parties), "cost of a signature")  # reasons reach beyond the table
    _enter_into_force(state, proposal, me, out)


def _package(state, number: int) -> set[int]:
    """Proposal ``number`` and every proposal linked to it, in either direction."""
    package, frontier = set(), [number]
    while frontier:
        n = frontier.pop()
        if n in package:
            continue
        package.add(n)
        frontier += list(state.proposal(n).links)
        frontier += [p.number for p in state.proposals if n in p.links]
    return package


def _enter_into_force(state, signed: Proposal, signer: str, out):
    """Bring ``signed``'s package into force once every proposal in it is fully signed."""
    if not set(signed.parties) <= set(signed.signatures) | {signer}:
        return
    number = signed.number
    package = _package(state, number)
    members = [state.proposal(n) for n in sorted(package)]
    if any(p.status == WITHDRAWN or (p.number != number and not p.fully_signed) for p in members):
        return
    for p in members:
        if p.status == IN_FORCE:
            continue
        out.emit(ev.AGREEMENT_IN_FORCE, {"proposal": p.number, "table": p.table, "title": p.title,
                                         "parties": list(p.parties), "links": sorted(package - {p.number}),
                                         "clauses": [{"clause_type": cl.clause_type, "terms": cl.terms,
                                                      "title": state.deck.clause_type(cl.clause_type).title}
                                                     for cl in p.clauses]}, Audience.all())
        kinds = [state.deck.clause_type(cl.clause_type) for cl in p.clauses]
        for kind in kinds:
            out.apply(kind.effects, pairs_among(p.parties), f"agreement #{p.number}: {kind.title}")
        if state.ceasefire is None and any(k.establishes_ceasefire for k in kinds) and not _ceasefire_emitted(out):
            out.emit(ev.CEASEFIRE_BEGAN, {"agreement": p.number, "title": p.title}, Audience.all())


def _ceasefire_emitted(out) -> bool:
    return any(e.type == ev.CEASEFIRE_BEGAN for e in out.events)


def _withdraw_proposal(state, cmd: c.WithdrawProposal, actor, out, now):
    me = _member(actor)
    proposal, table = _open_proposal(state, cmd.proposal, me)
    if proposal.drafted_by != me:
        raise RuleError("forbidden", "Only the delegation that drafted a proposal may withdraw it.")
    out.emit(ev.PROPOSAL_WITHDRAWN, {"proposal": proposal.number, "by": me}, _table_audience(table))


# ---- umpire ---------------------------------------------------------------

def _fire_inject(state, cmd: c.FireInject, actor, out, now):
    _umpire(actor)
    to = _known_delegations(state, cmd.to, "to") if cmd.to else None
    if cmd.to is not None and not cmd.to:
        raise RuleError("invalid", "Name at least one delegation, or leave 'to' out to inform everyone.",
                        {"to": "empty"})
    if cmd.inject:
        card = state.deck.inject(cmd.inject)
        if card is None:
            raise RuleError("not_found", f"There is no inject '{cmd.inject}'.", {"inject": "unknown"})
        if to is None and card.audience != "all":
            to = tuple(card.audience)
        data = {"inject": card.id, "title": card.title, "text": card.text, "kind": card.kind,
                "sources": list(card.sources)}
        effects = card.effects
    else:
        data = {"inject": None, "title": _text(cmd.title, "title", c.MAX_TITLE),
                "text": _text(cmd.text, "text", c.MAX_TEXT), "kind": "ad hoc", "sources": []}
        effects = None
    data["to"] = list(to) if to else None
    out.emit(ev.INJECT_FIRED, data, Audience.all() if to is None else Audience.of(to))
    if effects:
        concerned = to or state.deck.delegation_ids()
        reason = f"inject '{data['title']}'" if to is None else "a confidential inject"  # see _play_signal
        out.apply(effects, pairs_among(concerned), reason)


def _adjust_indicator(state, cmd: c.AdjustIndicator, actor, out, now):
    _umpire(actor)
    if state.deck.indicator(cmd.indicator) is None:
        raise RuleError("not_found", f"There is no indicator '{cmd.indicator}'.", {"indicator": "unknown"})
    reason = _text(cmd.reason, "reason", c.MAX_TITLE)
    if cmd.delta == 0:
        raise RuleError("invalid", "An adjustment needs a non-zero delta.", {"delta": "zero"})
    out.change_indicator(cmd.indicator, cmd.delta, reason)


def _adjust_relation(state, cmd: c.AdjustRelation, actor, out, now):
    _umpire(actor)
    key = pair(*cmd.between)
    if key not in state.relations:
        raise RuleError("not_found", f"No relation is tracked between {' and '.join(cmd.between)}.",
                        {"between": "unknown"})
    out.change_relation(key, cmd.trust, cmd.readiness, _text(cmd.reason, "reason", c.MAX_TITLE))


def _advance_phase(state, cmd, actor, out, now):
    _umpire(actor)
    if state.ceasefire is not None and state.phase is not None:
        _draw_risks(state, out)
    index = state.phase_index + 1
    if index >= len(state.deck.phases):
        out.emit(ev.EXERCISE_ENDED, {"reason": "last phase completed"}, Audience.all())
        return
    phase = state.deck.phases[index]
    if state.phase is not None:
        for indicator in state.deck.indicators:
            if indicator.per_phase:
                out.change_indicator(indicator.id, indicator.per_phase, "drift at the change of phase")
    out.emit(ev.PHASE_ADVANCED, {"index": index, "phase": phase.id, "name": phase.name, "minutes": phase.minutes,
                                 "brief": phase.brief,
                                 "open_tables": list(phase.open_tables) if phase.open_tables is not None else None},
             Audience.all())


def _clock_running(state, running: bool):
    _started(state)
    if state.clock.running != running:
        raise RuleError("conflict", "The clock is already " + ("paused." if running else "running."))


def _pause_clock(state, cmd, actor, out, now):
    _umpire(actor)
    _clock_running(state, True)
    out.emit(ev.CLOCK_PAUSED, {"remaining": round(state.clock.remaining_at(now), 3)}, Audience.all())


def _resume_clock(state, cmd, actor, out, now):
    _umpire(actor)
    _clock_running(state, False)
    out.emit(ev.CLOCK_RESUMED, {"remaining": round(state.clock.remaining, 3)}, Audience.all())


def _extend_clock(state, cmd: c.ExtendClock, actor, out, now):
    _umpire(actor)
    _started(state)
    if not 1 <= cmd.minutes <= 120:
        raise RuleError("invalid", "Extend the clock by 1 to 120 minutes.", {"minutes": "out of range"})
    out.emit(ev.CLOCK_EXTENDED, {"minutes": cmd.minutes}, Audience.all())


def _draw_ceasefire_risk(state, cmd, actor, out, now):
    _umpire(actor)
    if state.ceasefire is None:
        raise RuleError("conflict", "No cease-fire holds: there is nothing to draw.")
    _draw_risks(state, out)


def _draw_risks(state: ExerciseState, out) -> None:
    """One draw per risk rule; a rule that ends the cease-fire stops the draw."""
    in_force = {cl.clause_type for p in state.proposals if p.status == IN_FORCE for cl in p.clauses}
    held = max(0, state.phase_index - state.ceasefire.began_phase)
    agreement = state.proposal(state.ceasefire.agreement)
    for rule in state.deck.ceasefire_risks:
        modifiers = {k: v for k, v in rule.modifiers.items() if k in in_force}
        probability = max(0.0, min(1.0, rule.likelihood + rule.per_phase * held + sum(modifiers.values())))
        roll = random.Random(f"{state.seed}:{state.seq}:{rule.id}").random()
        occurred = roll < probability
        out.emit(ev.CEASEFIRE_RISK_DRAWN, {"rule": rule.id, "title": rule.title, "probability": probability,
                                           "roll": roll, "occurred": occurred, "phases_held": held,
                                           "modifiers": modifiers}, Audience.umpire_only())
        if not occurred:
            continue
        out.emit(ev.CEASEFIRE_INCIDENT, {"rule": rule.id, "title": rule.title, "text": rule.text,
                                         "sources": list(rule.sources)}, Audience.all())
        out.apply(rule.effects, pairs_among(agreement.parties), f"cease-fire incident: {rule.title}")
        if rule.ends_ceasefire:
            out.emit(ev.CEASEFIRE_COLLAPSED, {"agreement": agreement.number, "rule": rule.id}, Audience.all())
            return


def _end_exercise(state, cmd, actor, out, now):
    _umpire(actor)
    out.emit(ev.EXERCISE_ENDED, {"reason": "ended by the umpire"}, Audience.all())


_DECIDERS = {
    c.SeatParticipant: _seat_participant,
    c.MarkPresence: _mark_presence,
    c.ClearPresence: _clear_presence,
    c.PostMessage: _post_message,
    c.OpenBackchannel: _open_backchannel,
    c.PlaySignal: _play_signal,
    c.WithdrawSignal: _withdraw_signal,
    c.DraftProposal: _draft_proposal,
    c.AmendProposal: _amend_proposal,
    c.SignProposal: _sign_proposal,
    c.WithdrawProposal: _withdraw_proposal,
    c.FireInject: _fire_inject,
    c.AdjustIndicator: _adjust_indicator,
    c.AdjustRelation: _adjust_relation,
    c.AdvancePhase: _advance_phase,
    c.PauseClock: _pause_clock,
    c.ResumeClock: _resume_clock,
    c.ExtendClock: _extend_clock,
    c.DrawCeasefireRisk: _draw_ceasefire_risk,
    c.EndExercise: _end_exercise,
}
assert set(_DECIDERS) == set(c.COMMANDS.values())
