"""What each sheet of a deck's print pack says, as plain data for the templates: built from the deck (and the
source notes it cites) alone, never from an exercise, so the pack is the same for every class.

Four kinds of sheet: a role sheet per delegation (its briefs, goals, hand, tables, roles in the team, reading
list), the umpire's packet (run sheet, learning objectives, event list, risks, indicators, clause types), a
one-page student handout and the pack's index. Everything said in words here is said from the deck's own
fields; the templates only lay it out.
"""

from __future__ import annotations

import re
from dataclasses import replace
from typing import Iterable, Mapping

from facilitator.decks.references import ID_WORD, mentioned
from facilitator.engine.core import names, signed
from facilitator.engine.debrief import describe_measure
from facilitator.engine.deck import EVERYONE, PRIVATE, PUBLIC, UMPIRE_ONLY, Condition, Deck, Delegation, Effects, \
    Goal

# The tabs of a delegation's console (static/js/screens/play.js, and the Timeline and Channels every console has).
CONSOLE_TABS = (
    ("Situation", "The phase and its clock, the indicators you may see, your relations, injects you received, "
                  "a cease-fire if one holds."),
    ("Brief", "Your delegation's public and private brief, objectives and red lines; the others' public briefs."),
    ("Signals", "Your hand of cards: what each does, and how to play it (in public or privately). "
                "The signals played so far, and who answered them."),
    ("Proposals", "Drafts at your tables: draft from the deck's clause types, amend, sign; agreements in force."),
    ("Moves", "Free moves you put to the umpire, and the rulings."),
    ("Timeline", "Everything you have been told, in order."),
    ("Channels", "Beside the tabs: plenary, your tables, your delegation's room, back-channels you open."),
)

VISIBILITY = {PUBLIC: "in public only", PRIVATE: "privately only, to delegations you name",
              "either": "in public or privately"}
WEIGHT = {1: "cheap words", 2: "a real step", 3: "a costly deed", 4: "a heavy commitment", 5: "the heaviest"}
DELIVERY = {"banner": "a notice on screen", "news": "the news list only", "message": "a notice and a message"}


# ---- words --------------------------------------------------------------------------------------------


def _pair_words(deck: Deck, pairs: Iterable[tuple[str, str]]) -> str:
    """Pairs of delegations by name: "Ukraine–Russia, Ukraine–Turkey"."""
    return ", ".join("–".join(_name(deck, d) for d in p) for p in pairs)


def _name(deck: Deck, delegation_id: str) -> str:
    """A delegation's name (its id when the deck has none such)."""
    d = deck.delegation(delegation_id)
    return d.name if d else delegation_id


def effects_words(deck: Deck, e: Effects | None, whom: str = "", beliefs: bool = False) -> str:
    """``e`` in words: each indicator by name with its signed change, then trust and readiness (with the
    pairs they name, else ``whom``: for which pairs), polls published and, with ``beliefs``, moves of private
    beliefs (exercise control's sheets only). ``""`` for no effects."""
    if e is None:
        return ""
    parts = []
    for key, delta in e.indicators.items():
        indicator = deck.indicator(key)
        parts.append(f"{indicator.name if indicator else key} {signed(delta)}")
    pairs = f" ({_pair_words(deck, e.pairs)})" if e.pairs else (f" ({whom})" if whom else "")
    for label, value in (("trust", e.trust), ("readiness", e.readiness)):
        if value:
            parts.append(f"{label} {signed(value)}{pairs}")
    for poll in e.polls:
        indicator = deck.indicator(poll.indicator)
        parts.append(f"a poll of {indicator.name if indicator else poll.indicator} published (±{poll.margin})")
    if beliefs:
        for move in e.beliefs:
            parts.append(f"belief of {_name(deck, move.holder)} about {_name(deck, move.about)} {signed(move.by)}")
    return "; ".join(parts)


def _goal(deck: Deck, goal: Goal) -> dict:
    """An objective or red line: ``{text, measure}``, the measure in the debrief's words or None."""
    return {"text": goal.text, "measure": describe_measure(deck, goal.measure) if goal.measure else None}


def _percent(value: float) -> str:
    """A chance from 0 to 1 as a percentage: "35%"."""
    return f"{round(value * 100)}%"


def _points(value: float) -> str:
    """A change of odds in percentage points: "+10 pts", "−5 pts"."""
    pts = round(value * 100, 1)
    return f"{signed(int(pts) if pts == int(pts) else pts)} pts"


def _audience(deck: Deck, audience) -> str:
    """An inject's audience in words: "everyone", "exercise control only", or the delegations' names."""
    if audience == EVERYONE:
        return "everyone"
    if audience == UMPIRE_ONLY:
        return "exercise control only"
    return names(deck, audience)


def _condition(deck: Deck, c: Condition | None) -> str:
    """A condition in words ("no cease-fire holds and Human cost is at least 40"); "" for None."""
    if c is None:
        return ""
    parts = []
    if c.ceasefire is not None:
        parts.append("a cease-fire holds" if c.ceasefire else "no cease-fire holds")
    if c.indicator is not None:
        name = deck.indicator(c.indicator).name if deck.indicator(c.indicator) else c.indicator
        if c.at_least is not None:
            parts.append(f"{name} is at least {c.at_least}")
        if c.at_most is not None:
            parts.append(f"{name} is at most {c.at_most}")
    return " and ".join(parts)


def _phase_name(deck: Deck, phase_id: str | None) -> str:
    """A phase's name from its id (the id when unknown)."""
    return next((p.name for p in deck.phases if p.id == phase_id), phase_id or "")


def _schedule(deck: Deck, inject) -> str:
    """When an inject is planned, in words: "Talks, minute 10", "minute 20 (…)", "when needed"."""
    s = inject.schedule
    if s is None:
        return "when needed"
    if s.phase is None:
        return f"minute {s.minute} (first phase to reach it)"
    return _phase_name(deck, s.phase) + ("" if s.minute is None else f", minute {s.minute}")


def _minutes(minutes: int) -> str:
    """A length in minutes as "45 min" or "1 h 20 min"."""
    hours, rest = divmod(minutes, 60)
    if not hours:
        return f"{minutes} min"
    return f"{hours} h" + (f" {rest} min" if rest else "")


# ---- citations and notes -------------------------------------------------------------------------------


def reading_list(notes: Mapping[str, dict], citations: Iterable[str]) -> list[dict]:
    """The notes ``citations`` (``note`` or ``note#n``) point to, in the order first cited: ``[{id, title,
    outlet, date, author, argument, facts: [{n, text}]}]``, ``facts`` being the facts cited (in number order);
    a note cited only as a whole has none, and its ``argument`` stands for it. Unknown notes are left out."""
    order: list[str] = []
    facts: dict[str, set[int]] = {}
    for citation in citations:
        note_id, _, n = citation.partition("#")
        if note_id not in notes:
            continue
        if note_id not in facts:
            order.append(note_id)
            facts[note_id] = set()
        if n.isdigit():
            facts[note_id].add(int(n))
    out = []
    for note_id in order:
        note = notes[note_id]
        by_number = {f["n"]: f["text"] for f in note.get("facts", [])}
        out.append({"id": note_id, "title": _shown_title(note["title"]),
                    "outlet": "" if note["outlet"] == "unknown" else note["outlet"], "date": note["date"],
                    "author": note.get("author"), "argument": note.get("argument", ""),
                    "facts": [{"n": n, "text": by_number[n]} for n in sorted(facts[note_id]) if n in by_number]})
    return out


def _short(title: str, most: int = 60) -> str:
    """``title`` cut at a word to at most ``most`` characters, with "…" when cut."""
    if len(title) <= most:
        return title
    return title[:most].rsplit(" ", 1)[0].rstrip(",;:.") + "…"


def _shown_title(title: str) -> str:
    """A note's title as a reader needs it: without the note-taker's bracketed remark ("[untitled] …")."""
    return re.sub(r"^\[[^\]]*\]\s*", "", title).rstrip(".")


def _cited(notes: Mapping[str, dict], citations: Iterable[str]) -> str:
    """Citations as a short line: "Note title, facts 3, 5; Other note" (long titles cut)."""
    parts = []
    for entry in reading_list(notes, citations):
        numbers = ", ".join(str(f["n"]) for f in entry["facts"])
        parts.append(_short(entry["title"]) + (f", {'fact' if len(entry['facts']) == 1 else 'facts'} {numbers}"
                                               if numbers else ""))
    return "; ".join(parts)


# ---- a delegation's role sheet -------------------------------------------------------------------------


def card(deck: Deck, card_id: str, notes: Mapping[str, dict]) -> dict:
    """Signal card ``card_id`` as a role sheet shows it: ``{id, title, text, hypothetical, visibility, toward,
    family, weight, weight_words, credibility, reversible, effects, cost, answered, withdrawn, adjudicated,
    sources}``, effects in words (``effects_words``; moves of private beliefs never: a card's holder does not
    learn another's beliefs; a rise in readiness neither: a card alone never raises it)."""
    c = deck.signal(card_id)

    def alone(e: Effects) -> Effects:  # readiness takes two: a card on its own never raises it (engine/signals.py)
        return replace(e, readiness=0) if e.readiness > 0 else e

    whom = "with each delegation it speaks to, split between them" if len(c.toward) > 1 else \
        "with the delegation it speaks to"
    return {"id": c.id, "title": c.title, "text": c.text, "hypothetical": c.kind == "hypothetical",
            "visibility": VISIBILITY.get(c.visibility, c.visibility), "toward": names(deck, c.toward),
            "family": c.family, "weight": c.weight, "weight_words": WEIGHT.get(c.weight, ""),
            "credibility": c.credibility, "reversible": c.reversible,
            "effects": effects_words(deck, alone(c.effects), whom), "cost": effects_words(deck, alone(c.cost)),
            "answered": effects_words(deck, c.on_reciprocated, "with the delegation that answers"),
            "withdrawn": effects_words(deck, alone(c.withdrawal_effects), whom) if c.reversible else "",
            "adjudicated": c.adjudicated, "sources": _cited(notes, c.sources)}


def default_roles(deck: Deck, delegation: Delegation) -> list[dict]:
    """The roles inside a delegation's team when the deck suggests none: a head of delegation, a negotiator
    for each table it sits at, a note-taker. ``[{name, does}]``."""
    roles = [{"name": "Head of delegation",
              "does": "Speaks for the delegation in plenary, decides what it signs, and keeps it within its red "
                      "lines."}]
    tables = [t for t in deck.tables if delegation.id in t.seated]
    for t in tables:
        roles.append({"name": f"Negotiator: {t.name}",
                      "does": "Sits at this table, drafts and amends the proposals there, and reports back."})
    if not tables:
        roles.append({"name": "Negotiator", "does": "Talks to the other delegations in plenary and back-channels."})
    roles.append({"name": "Note-taker",
                  "does": "Keeps track of signals, offers and what was agreed, for the team and the debrief."})
    return roles


def role_sheet(deck: Deck, delegation_id: str, notes: Mapping[str, dict]) -> dict:
    """Delegation ``delegation_id``'s role sheet: ``{id, name, kind, optional, public_brief, private_brief,
    objectives: [{text, measure}], red_lines: [{text, measure}], hand: [card], tables: [{name, as, parties,
    mediators, agenda, min_readiness, open_in}], roles: [{name, does}], roles_from_deck, secrets: [title],
    readings: reading_list}``; a red line's ``measure`` says what crossing it looks like."""
    d = deck.delegation(delegation_id)
    tables = []
    for t in deck.tables:
        if d.id not in t.seated:
            continue
        open_in = [p.name for p in deck.phases if p.table_open(t.id)]
        tables.append({"name": t.name, "as": "party" if d.id in t.delegations else "mediator",
                       "parties": names(deck, t.delegations), "mediators": names(deck, t.mediators),
                       "agenda": list(t.agenda),
                       "min_readiness": deck.readiness_ladder[t.min_readiness] if t.min_readiness else "",
                       "open_in": "every phase" if len(open_in) == len(deck.phases) else
                       (", ".join(open_in) or "no phase (the umpire opens it)")})
    teaching = deck.teaching
    # The deck's roles for this delegation's team: those for every team, and those for its tables or for it.
    own = [{"name": r.name, "does": r.does} for r in (teaching.roles if teaching else ()) if r.applies_to(deck, d.id)]
    roles = own or default_roles(deck, d)
    citations = list(d.sources) + [s for card_id in d.hand if deck.signal(card_id)
                                   for s in deck.signal(card_id).sources]
    return {"id": d.id, "name": d.name, "kind": d.kind, "optional": d.optional,
            "public_brief": d.public_brief, "private_brief": d.private_brief,
            "objectives": [_goal(deck, g) for g in d.objectives], "red_lines": [_goal(deck, g) for g in d.red_lines],
            "hand": [card(deck, c, notes) for c in d.hand if deck.signal(c)], "tables": tables, "roles": roles,
            "roles_from_deck": bool(own),
            "secrets": [s.title for s in deck.secrets if s.holder == d.id],
            "readings": reading_list(notes, citations)}


# ---- the umpire's packet ---------------------------------------------------------------------------------


def _question(deck: Deck, number: int) -> dict:
    """Debrief question ``number`` (from 1): ``{n, question, focus}``, the focus in words."""
    q = deck.debrief[number - 1]
    return {"n": number, "question": q.question, "focus": _focus(deck, q.focus)}


def _focus(deck: Deck, focus) -> str:
    """What the projector shows with a question, in words; "" without a focus."""
    if focus is None:
        return ""
    if focus.indicator is not None:
        indicator = deck.indicator(focus.indicator)
        return f"chart of {indicator.name if indicator else focus.indicator}"
    if focus.pair is not None:
        return f"trust and readiness of {_pair_words(deck, [focus.pair])}"
    return "moments: " + ", ".join(focus.events)


def _inject_number(deck: Deck, inject_id: str) -> int:
    """An inject's row number in the event list (from 1): the number the umpire console gives its row (the
    deck's injects are numbered in order when an exercise is created, engine/injects.py)."""
    return next(i for i, row in enumerate(deck.injects, 1) if row.id == inject_id)


def inject_label(deck: Deck, inject_id: str) -> str:
    """An inject as the umpire sees it in the event list, on paper and on the console: "#26 Contingency: …"."""
    return f"#{_inject_number(deck, inject_id)} {deck.inject(inject_id).title}"


def rich(deck: Deck, text: str) -> list[dict]:
    """``text`` as parts, with each inject or signal card it names by id (``fire c-kyiv-waits``) shown as the
    umpire sees it: ``[{text}, {inject: id, n, title, label: "#26 Contingency: …"}, {signal: id, title,
    label: "“Title”"}]``.
    An id is never shown as such: the umpire sees numbers and titles, not ids (the deck validator refuses a
    run sheet naming an id the deck does not have, decks.references.check_mentions)."""
    known = mentioned(deck)
    parts: list[dict] = []
    at = 0
    for match in ID_WORD.finditer(text):
        kind = known.get(match.group(1), (None,))[0]
        if kind is None:
            continue
        if match.start() > at:
            parts.append({"text": text[at:match.start()]})
        word = match.group(1)
        parts.append({"inject": word, "n": _inject_number(deck, word), "title": deck.inject(word).title,
                      "label": inject_label(deck, word)} if kind == "inject" else
                     {"signal": word, "title": deck.signal(word).title, "label": f"“{deck.signal(word).title}”"})
        at = match.end()
    if at < len(text) or not parts:
        parts.append({"text": text[at:]})
    return parts


def plain(parts: list[dict]) -> str:
    """Parts made by ``rich`` as one text, as the page shows it."""
    return "".join(p.get("label", p.get("text", "")) for p in parts)


def event_list(deck: Deck, notes: Mapping[str, dict]) -> list[dict]:
    """Every inject of the deck (its event list, MSEL), in deck order: ``[{n, id, time, audience, kind,
    title, text, sender, delivery, scenario_date, expected_action, controller_note, effects, sources}]``."""
    rows = []
    for n, row in enumerate(deck.injects, 1):
        concerned = "every tracked pair among those it reaches"
        kind = row.kind if row.historical is None or row.historical == (row.kind == "historical") \
            else f"{row.kind} ({'historical' if row.historical else 'hypothetical'})"
        rows.append({"n": n, "id": row.id, "time": _schedule(deck, row), "audience": _audience(deck, row.audience),
                     "kind": kind, "title": row.title, "text": row.text, "sender": row.sender,
                     "delivery": DELIVERY.get(row.delivery, row.delivery), "scenario_date": row.scenario_date,
                     "expected_action": row.expected_action, "controller_note": row.controller_note,
                     "effects": effects_words(deck, row.effects, concerned, beliefs=True),
                     "sources": _cited(notes, row.sources)})
    return rows


def _risks(deck: Deck) -> list[dict]:
    """The cease-fire risks: ``[{title, text, likelihood, per_phase, floor, modifiers, drivers, ends, effects}]``."""
    out = []
    for r in deck.ceasefire_risks:
        drivers = []
        for drv in r.driven_by:
            indicator = deck.indicator(drv.indicator)
            parts = [f"{_points(drv.step)}" if drv.step else "", f"{_points(drv.per_point)} a point" if drv.per_point
                     else ""]
            drivers.append(f"{indicator.name if indicator else drv.indicator} above {drv.above}: "
                           + " and ".join(p for p in parts if p))
        modifiers = []
        for key, delta in r.modifiers.items():
            clause = deck.clause_type(key)
            modifiers.append(f"{clause.title if clause else key} {_points(delta)}")
        out.append({"title": r.title, "text": r.text, "likelihood": _percent(r.likelihood),
                    "per_phase": _points(r.per_phase) if r.per_phase else "",
                    "floor": _percent(r.min_likelihood) if r.min_likelihood else "", "modifiers": modifiers,
                    "drivers": drivers, "ends": r.ends_ceasefire,
                    "effects": effects_words(deck, r.effects, "the cease-fire's parties", beliefs=True)})
    return out


def _indicators(deck: Deck) -> list[dict]:
    """The indicators: ``[{name, range, start, seen_by, description, drift, thresholds: [{at, direction, note,
    effects, reason}]}]``."""
    out = []
    for i in deck.indicators:
        seen = "everyone" if i.visible_to == EVERYONE else "exercise control only" if i.visible_to == UMPIRE_ONLY \
            else names(deck, i.visible_to)
        drift = ""
        if i.per_phase:
            drift = f"{signed(i.per_phase)} at each change of phase"
            if i.drift_while is not None:
                drift += f", while {_condition(deck, i.drift_while)}"
        out.append({"name": i.name, "range": f"{i.min}–{i.max}", "start": i.start, "seen_by": seen,
                    "description": i.description, "drift": drift,
                    "thresholds": [{"at": t.at, "direction": "rising to" if t.rising else "falling to",
                                    "note": t.note, "effects": effects_words(deck, t.effects, beliefs=True),
                                    "reason": t.reason} for t in i.thresholds]})
    return out


def _clause_types(deck: Deck) -> list[dict]:
    """The clause types: ``[{title, text, topics, offered_by, requires_parties, signatories, tables, ceasefire,
    max_in_force, effects, signing_costs, conditions}]``, all in words."""
    out = []
    for k in deck.clause_types:
        conditions = [f"{_name(deck, c.delegation)} signs only while "
                      f"{deck.indicator(c.indicator).name if deck.indicator(c.indicator) else c.indicator} is "
                      f"{c.wanted()}" for c in k.sign_conditions]
        out.append({"title": k.title, "text": k.text, "topics": ", ".join(k.topics),
                    "offered_by": names(deck, k.offered_by) or "anyone seated",
                    "requires_parties": names(deck, k.requires_parties), "signatories": names(deck, k.signatories),
                    "tables": ", ".join(deck.table(t).name if deck.table(t) else t for t in k.tables),
                    "ceasefire": k.establishes_ceasefire,
                    "max_in_force": "no limit" if k.max_in_force is None else str(k.max_in_force),
                    "effects": effects_words(deck, k.effects, "among the agreement's parties", beliefs=True),
                    "signing_costs": [f"{_name(deck, who)}: {effects_words(deck, cost, beliefs=True)}"
                                      for who, cost in k.signing_costs.items()],
                    "conditions": conditions})
    return out


def _learning_objectives(deck: Deck) -> list[dict]:
    """The learning objectives with what serves each: ``[{text, mechanics, signals, clause_types, injects,
    debrief}]`` (titles; questions as ``_question``); ``[]`` without a teaching section."""
    teaching = deck.teaching
    if teaching is None:
        return []
    out = []
    for goal in teaching.learning_objectives:
        out.append({"text": goal.text, "mechanics": rich(deck, goal.mechanics) if goal.mechanics else [],
                    "signals": [deck.signal(s).title for s in goal.signals if deck.signal(s)],
                    "clause_types": [deck.clause_type(k).title for k in goal.clause_types if deck.clause_type(k)],
                    "injects": [inject_label(deck, i) for i in goal.injects if deck.inject(i)],
                    "debrief": [_question(deck, n) for n in goal.debrief if 0 < n <= len(deck.debrief)]})
    return out


def _run_sheet(deck: Deck, notes: Mapping[str, dict]) -> dict | None:
    """The run sheet: ``{before, steps: [{minute, title, say, do}], running_late, hot_wash, reality_check,
    reality_sources (``reading_list``), model_limits}``, every text as parts (``rich``: the injects it names
    shown by number and title, as the event list shows them); None without a teaching section."""
    teaching = deck.teaching
    if teaching is None:
        return None
    rs = teaching.run_sheet

    def texts(items) -> list[list[dict]]:
        return [rich(deck, item) for item in items]

    return {"before": texts(rs.before),
            "steps": [{"minute": s.minute, "title": rich(deck, s.title), "say": rich(deck, s.say) if s.say else [],
                       "do": rich(deck, s.do) if s.do else []} for s in rs.steps],
            "running_late": texts(rs.running_late), "hot_wash": texts(rs.hot_wash),
            "reality_check": rich(deck, rs.reality_check) if rs.reality_check else [],
            "reality_sources": reading_list(notes, rs.reality_sources), "model_limits": texts(rs.model_limits)}


def umpire_packet(deck: Deck, notes: Mapping[str, dict]) -> dict:
    """The umpire's packet for ``deck``: ``{teaching: {players_min, players_max, minutes} | None, play_minutes,
    phases, delegations, run_sheet | None, questions, learning_objectives, event_list, risks, indicators,
    relations, roles, clause_types, beliefs, secrets, sources}``: everything exercise control needs on paper
    (``roles``: the deck's roles in the teams, ``[{name, does, for}]``, ``for`` naming the delegations).
    ``run_sheet`` and ``teaching`` are None when the deck has no ``teaching`` section."""
    teaching = deck.teaching
    phases = [{"name": p.name, "minutes": p.minutes, "brief": p.brief,
               "tables": "all" if p.open_tables is None else
               (", ".join(deck.table(t).name if deck.table(t) else t for t in p.open_tables) or "none"),
               "backchannels": p.backchannels} for p in deck.phases]
    delegations = [{"name": d.name, "kind": d.kind, "optional": d.optional,
                    "tables": ", ".join(t.name + ("" if d.id in t.delegations else " (mediator)")
                                        for t in deck.tables if d.id in t.seated),
                    "cards": len(d.hand), "objectives": len(d.objectives), "red_lines": len(d.red_lines)}
                   for d in deck.delegations]
    relations = [{"pair": _pair_words(deck, [r.between]), "trust": r.trust,
                  "readiness": deck.readiness_ladder[r.readiness]} for r in deck.relations]
    beliefs = [{"holder": _name(deck, b.holder), "about": _name(deck, b.about), "name": b.name, "start": b.start}
               for b in deck.beliefs]
    secrets = [{"holder": _name(deck, s.holder), "title": s.title,
                "cards": [{"title": c.title, "text": c.text,
                           "risk": ", ".join(f"{next((r.title for r in deck.ceasefire_risks if r.id == k), k)} "
                                             f"{_points(v)}" for k, v in c.risk.items()),
                           "objectives": [g.text for g in c.objectives]} for c in s.cards]} for s in deck.secrets]
    roles = [{"name": r.name, "does": r.does,
              "for": "every delegation" if not (r.tables or r.delegations) else
              names(deck, [d.id for d in deck.delegations if r.applies_to(deck, d.id)])}
             for r in (teaching.roles if teaching else ())]
    return {"teaching": None if teaching is None else
            {"players_min": teaching.players_min, "players_max": teaching.players_max,
             "minutes": teaching.minutes, "length": _minutes(teaching.minutes)},
            "play_minutes": sum(p.minutes for p in deck.phases),
            "play_length": _minutes(sum(p.minutes for p in deck.phases)),
            "phases": phases, "delegations": delegations, "roles": roles, "run_sheet": _run_sheet(deck, notes),
            "questions": [_question(deck, n) for n in range(1, len(deck.debrief) + 1)],
            "learning_objectives": _learning_objectives(deck), "event_list": event_list(deck, notes),
            "risks": _risks(deck), "indicators": _indicators(deck), "relations": relations,
            "ladder": list(deck.readiness_ladder), "clause_types": _clause_types(deck), "beliefs": beliefs,
            "secrets": secrets, "epilogue": deck.epilogue.months if deck.epilogue else None,
            "sources": reading_list(notes, deck.sources)}


# ---- the student handout and the index ---------------------------------------------------------------


def handout(deck: Deck) -> dict:
    """The one-page student handout: ``{delegations: [{name, kind}], phases: [{name, minutes}], play_length,
    tabs: [(tab, what it shows)]}``. Only what every player may know: no brief but the deck's summary."""
    return {"delegations": [{"name": d.name, "kind": d.kind} for d in deck.delegations],
            "phases": [{"name": p.name, "minutes": p.minutes} for p in deck.phases],
            "play_length": _minutes(sum(p.minutes for p in deck.phases)), "tabs": list(CONSOLE_TABS)}


def overview(deck: Deck) -> dict:
    """What the index shows of ``deck``: ``{players, length, play_length, delegations: [{id, name}]}``
    (``players`` and ``length`` empty without a ``teaching`` section)."""
    teaching = deck.teaching
    return {"players": f"{teaching.players_min}–{teaching.players_max} players" if teaching else "",
            "length": _minutes(teaching.minutes) if teaching else "",
            "play_length": _minutes(sum(p.minutes for p in deck.phases)),
            "delegations": [{"id": d.id, "name": d.name} for d in deck.delegations]}


__all__ = ["CONSOLE_TABS", "card", "default_roles", "effects_words", "event_list", "handout", "inject_label",
           "overview", "plain", "reading_list", "rich", "role_sheet", "umpire_packet"]
