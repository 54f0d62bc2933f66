"""Checks across a deck: every id a card names must exist, and cite real notes."""

from __future__ import annotations

import re
from collections import Counter
from typing import Iterator, Mapping

from facilitator.engine.deck import EVERYONE, Deck, Effects, Measure

Found = Iterator[tuple[str, str]]  # (path inside the deck, message)


def check_references(deck: Deck, notes: Mapping[str, dict] | None) -> list[tuple[str, str]]:
    """Every broken reference in ``deck``; source citations are checked when ``notes`` is given."""
    return list(_duplicates(deck)) + list(_links(deck)) + list(_quality(deck)) + list(_teaching(deck)) + \
        (list(_sources(deck, notes)) if notes is not None else [])


def _teaching(deck: Deck) -> Found:
    """Learning objectives name cards, clause types, injects and debrief questions of the deck."""
    t = deck.teaching
    if t is None:
        return
    known = {"signals": {s.id for s in deck.signals}, "clause_types": {k.id for k in deck.clause_types},
             "injects": {i.id for i in deck.injects}}
    what = {"signals": "signal card", "clause_types": "clause type", "injects": "inject"}
    seen: set[str] = set()
    for i, goal in enumerate(t.learning_objectives):
        path = f"teaching.learning_objectives[{i}]"
        if goal.id in seen:
            yield f"{path}.id", f"Duplicate id '{goal.id}'."
        seen.add(goal.id)
        for part, ids in known.items():
            for j, ref in enumerate(getattr(goal, part)):
                if ref not in ids:
                    yield f"{path}.{part}[{j}]", f"Unknown {what[part]} '{ref}'."
        for j, n in enumerate(goal.debrief):
            if n > len(deck.debrief):
                yield f"{path}.debrief[{j}]", f"The deck has {len(deck.debrief)} debrief questions, not {n}."
        if not (goal.signals or goal.clause_types or goal.injects or goal.debrief):
            yield path, "Tie the objective to what teaches it: signals, clause_types, injects or debrief questions."
    tables, delegations = {x.id for x in deck.tables}, set(deck.delegation_ids())
    for i, role in enumerate(t.roles):
        path = f"teaching.roles[{i}]"
        bad = [(f"{path}.tables[{j}]", f"Unknown table '{x}'.") for j, x in enumerate(role.tables) if x not in tables]
        bad += [(f"{path}.delegations[{j}]", f"Unknown delegation '{x}'.") for j, x in enumerate(role.delegations)
                if x not in delegations]
        yield from bad
        if not bad and not any(role.applies_to(deck, d) for d in delegations):
            yield path, "No delegation sits at these tables: the role would be on no role sheet."


# An id written in the instructor's texts (run sheet, learning objectives' mechanics): "fire c-kyiv-waits".
ID_WORD = re.compile(r"(?<![\w-])([a-z0-9]+(?:-[a-z0-9]+)+)(?![\w-])")


def mentioned(deck: Deck) -> dict[str, tuple[str, object]]:
    """What the instructor's texts may name by id, by id: ``{id: ("inject" | "signal", record)}``."""
    return {**{c.id: ("signal", c) for c in deck.signals}, **{i.id: ("inject", i) for i in deck.injects}}


def teaching_texts(deck: Deck) -> Iterator[tuple[str, str]]:
    """The teaching section's texts that may name injects and cards by id: ``(path, text)``."""
    t = deck.teaching
    if t is None:
        return
    rs = t.run_sheet
    for part in ("before", "running_late", "hot_wash", "model_limits"):
        yield from ((f"teaching.run_sheet.{part}[{i}]", text) for i, text in enumerate(getattr(rs, part)))
    for i, step in enumerate(rs.steps):
        yield from ((f"teaching.run_sheet.steps[{i}].{k}", getattr(step, k)) for k in ("title", "say", "do"))
    yield "teaching.run_sheet.reality_check", rs.reality_check
    for i, goal in enumerate(t.learning_objectives):
        yield f"teaching.learning_objectives[{i}].mechanics", goal.mechanics


def check_mentions(deck: Deck) -> list[tuple[str, str]]:
    """Ids the run sheet (and the objectives' mechanics) name that the deck does not have: a word shaped like
    the deck's inject or card ids (``c-…``, ``hy-…``, ``ru-…``: a prefix two or more of them share) that is
    none of them. The print pack shows each id named as the umpire sees it (``#26 Contingency: …``), so a
    word it cannot show must not reach the umpire."""
    known = mentioned(deck)
    prefixes = Counter(x.split("-", 1)[0] for x in known)
    families = {p for p, n in prefixes.items() if n >= 2}
    other_ids = {x.id for part in ("delegations", "tables", "indicators", "clause_types", "phases")
                 for x in getattr(deck, part)}
    found = []
    for path, text in teaching_texts(deck):
        for word in ID_WORD.findall(text):
            if word not in known and word not in other_ids and word.split("-", 1)[0] in families:
                found.append((path, f"'{word}' looks like the id of an inject or a signal card, but the deck has "
                                    "none such: name one of its injects (event list) or cards."))
    return found


def _quality(deck: Deck) -> Found:
    """The ``quality:`` limits name indicators, objectives with a measure, and cards of the deck."""
    q = deck.quality
    if q is None:
        return
    for key in q.indicators:
        if deck.indicator(key) is None:
            yield f"quality.indicators.{key}", f"Unknown indicator '{key}'."
    for j, ref in enumerate(q.allow_unmet):
        who, _, n = ref.partition("#")
        d = deck.delegation(who)
        if d is None or int(n) > len(d.objectives) or d.objectives[int(n) - 1].measure is None:
            yield f"quality.allow_unmet[{j}]", f"'{ref}' is not an objective with a measure."
    for j, card in enumerate(q.allow_unplayed):
        if deck.signal(card) is None:
            yield f"quality.allow_unplayed[{j}]", f"Unknown signal card '{card}'."


def check_warnings(deck: Deck) -> list[tuple[str, str]]:
    """What a valid deck probably does not mean: the deck loads and plays, but its author should look."""
    return list(_deals_without_the_other_side(deck)) + check_signals(deck) + list(_class_size(deck))


# A class size in words: "A class of 8 to 20", "for 12 to 24 participants", "25 to 45 people".
CLASS_SIZE = re.compile(r"\bclass of (\d+) to (\d+)\b|\b(\d+) to (\d+) (?:participants|people|students|players)\b")


def class_sizes(text: str) -> list[tuple[int, int]]:
    """Every class size ``text`` states, in order: ``[(fewest, most)]``."""
    return [(int(m[0] or m[2]), int(m[1] or m[3])) for m in CLASS_SIZE.findall(" ".join(text.split()))]


def _class_size(deck: Deck) -> Found:
    """The class size the deck's description states first (its audience, else its summary) is the one its
    teaching section gives (``players``), which the home page and the print pack show."""
    t = deck.teaching
    if t is None:
        return
    for part in ("audience", "summary"):
        sizes = class_sizes(getattr(deck, part) or "")
        if sizes:
            if sizes[0] != (t.players_min, t.players_max):
                yield part, (f"It speaks of a class of {sizes[0][0]} to {sizes[0][1]}, but teaching.players is "
                             f"[{t.players_min}, {t.players_max}]: make them agree.")
            return


def _touched(deck: Deck, e: Effects) -> set[str]:
    """The delegations some effects reach by name: an indicator shown only to some delegations is taken as
    theirs (Russia's outlook, the Kremlin's standing), and the pairs the effects name."""
    touched = set()
    for key in e.indicators:
        indicator = deck.indicator(key)
        if indicator is not None and isinstance(indicator.visible_to, tuple):
            touched |= set(indicator.visible_to)
    return touched | {x for between in e.pairs for x in between}


def _deals_without_the_other_side(deck: Deck) -> Found:
    """A clause whose effects move a delegation that need not sign it: a deal made over its head."""
    for i, k in enumerate(deck.clause_types):
        signers = set(k.signatories) | set(k.requires_parties)
        outside = sorted(_touched(deck, k.effects) - signers)
        if outside:
            names = ", ".join(deck.delegation(x).name if deck.delegation(x) else x for x in outside)
            yield (f"clause_types[{i}].effects", f"'{k.id}' moves what belongs to {names}, who need not sign it: "
                                                  f"add {names} to its signatories, or let its effects stay with "
                                                  "those who sign.")


_PARTS = ("delegations", "tables", "indicators", "signals", "clause_types", "injects", "ceasefire_risks", "phases")


def _duplicates(deck: Deck) -> Found:
    for part in _PARTS:
        items = getattr(deck, part)
        counts = Counter(item.id for item in items)
        for i, item in enumerate(items):
            if counts[item.id] > 1:
                first = next(j for j, other in enumerate(items) if other.id == item.id)
                if first != i:
                    yield f"{part}[{i}].id", f"Duplicate id '{item.id}' (already used by {part}[{first}])."


def _links(deck: Deck) -> Found:
    delegations = set(deck.delegation_ids())
    tables = {t.id for t in deck.tables}
    indicators = {i.id for i in deck.indicators}
    signals = {s.id for s in deck.signals}
    clause_types = {k.id for k in deck.clause_types}
    phases = {p.id for p in deck.phases}

    def refs(values, known, path, what) -> Found:
        for j, value in enumerate(values):
            if value not in known:
                yield f"{path}[{j}]", f"Unknown {what} '{value}'."

    def effects(e: Effects | None, path) -> Found:
        for key in (e.indicators if e else {}):
            if key not in indicators:
                yield f"{path}.indicators.{key}", f"Unknown indicator '{key}'."
        for i, between in enumerate(e.pairs if e else ()):
            yield from refs(between, delegations, f"{path}.pairs[{i}]", "delegation")
        for i, move in enumerate(e.beliefs if e else ()):
            if deck.belief(move.holder, move.about) is None:
                yield f"{path}.beliefs[{i}]", f"No belief of '{move.holder}' about '{move.about}' is declared " \
                                              "in 'beliefs'."
        for i, poll in enumerate(e.polls if e else ()):
            if poll.indicator not in indicators:
                yield f"{path}.polls[{i}].indicator", f"Unknown indicator '{poll.indicator}'."

    for i, dl in enumerate(deck.delegations):
        yield from refs(dl.hand, signals, f"delegations[{i}].hand", "signal card")
    for i, t in enumerate(deck.tables):
        yield from refs(t.delegations, delegations, f"tables[{i}].delegations", "delegation")
        yield from refs(t.mediators, delegations, f"tables[{i}].mediators", "delegation")
        for j, m in enumerate(t.mediators):
            if m in t.delegations:
                yield f"tables[{i}].mediators[{j}]", f"'{m}' is already a party at this table."
        if t.min_readiness >= len(deck.readiness_ladder):
            yield f"tables[{i}].min_readiness", f"The readiness ladder has only {len(deck.readiness_ladder)} rungs."
    for i, ind in enumerate(deck.indicators):
        if ind.id in ("trust", "readiness"):  # effects write trust and readiness beside indicator ids
            yield f"indicators[{i}].id", f"'{ind.id}' is reserved for relations: choose another id."
        if isinstance(ind.visible_to, tuple):
            yield from refs(ind.visible_to, delegations, f"indicators[{i}].visible_to", "delegation")
        for j, t in enumerate(ind.thresholds):
            path = f"indicators[{i}].thresholds[{j}]"
            yield from effects(t.effects, f"{path}.effects")
            if (t.effects.trust or t.effects.readiness) and not t.effects.pairs:
                yield f"{path}.effects.pairs", "A threshold concerns no pair: name the pairs whose trust or " \
                                               "readiness it moves."
            if t.effects and ind.visible_to != EVERYONE and not t.reason:
                yield f"{path}.reason", (f"'{ind.id}' is not shown to everyone: give the words ('reason') that "
                                         "those who see the moves will read.")
            if t.effects and any(o.at == t.at for o in ind.thresholds if o is not t):
                yield f"{path}.at", "A threshold with effects needs a value of its own on its indicator."
        cond = ind.drift_while
        if cond is not None and cond.indicator is not None and cond.indicator not in indicators:
            yield f"indicators[{i}].drift_while.indicator", f"Unknown indicator '{cond.indicator}'."
    seen_pairs = {}
    for i, r in enumerate(deck.relations):
        yield from refs(r.between, delegations, f"relations[{i}].between", "delegation")
        key = tuple(sorted(r.between))
        if r.between[0] == r.between[1]:
            yield f"relations[{i}].between", "A relation joins two different delegations."
        elif key in seen_pairs:
            yield f"relations[{i}].between", f"This pair is already given at relations[{seen_pairs[key]}]."
        seen_pairs.setdefault(key, i)
        if r.readiness >= len(deck.readiness_ladder):
            yield f"relations[{i}].readiness", f"The readiness ladder has only {len(deck.readiness_ladder)} rungs."
    for i, s in enumerate(deck.signals):
        yield from refs(s.toward, delegations, f"signals[{i}].toward", "delegation")
        for name in ("cost", "effects", "on_reciprocated", "on_withdraw"):
            yield from effects(getattr(s, name), f"signals[{i}].{name}")
    for i, k in enumerate(deck.clause_types):
        yield from refs(k.offered_by, delegations, f"clause_types[{i}].offered_by", "delegation")
        yield from refs(k.requires_parties, delegations, f"clause_types[{i}].requires_parties", "delegation")
        yield from effects(k.effects, f"clause_types[{i}].effects")
        for who, cost in k.signing_costs.items():
            if who not in delegations:
                yield f"clause_types[{i}].signing_costs.{who}", f"Unknown delegation '{who}'."
            yield from effects(cost, f"clause_types[{i}].signing_costs.{who}")
        yield from refs(k.tables, tables, f"clause_types[{i}].tables", "table")
        yield from refs(k.signatories, delegations, f"clause_types[{i}].signatories", "delegation")
        needed = set(k.signatories) | set(k.requires_parties)
        if deck.tables and not any(needed <= set(t.delegations) for t in deck.tables if not k.tables or t.id in k.tables):
            where = "its tables" if k.tables else "any table"
            yield (f"clause_types[{i}].signatories", f"No table ({where}) has all of {', '.join(sorted(needed))} "
                                                      "as parties: this clause could never enter into force.")
        yield from refs(k.in_package_with, delegations, f"clause_types[{i}].in_package_with", "delegation")
        # A text it signs must be linkable to the clause's: someone seated (a party or a mediator) both at a table
        # where the clause may be proposed and at one where it is a party (links are made by who sees both).
        homes = [t for t in deck.tables if (not k.tables or t.id in k.tables) and needed <= set(t.delegations)]
        for who in sorted(set(k.in_package_with) & delegations):
            partners = [t for t in deck.tables if who in t.delegations]
            if deck.tables and not partners:
                yield (f"clause_types[{i}].in_package_with", f"'{who}' is a party at no table: no text it signs can "
                                                              "join this clause's package, so the clause could never "
                                                              "enter into force.")
            elif homes and not any(home is t or set(home.seated) & set(t.seated) for home in homes for t in partners):
                yield (f"clause_types[{i}].in_package_with", f"Nobody sits both at a table where '{k.id}' may be "
                                                              f"proposed and at one where '{who}' is a party: no text "
                                                              f"'{who}' signs can be linked to it, so it could never "
                                                              "enter into force.")
        for j, cond in enumerate(k.sign_conditions):
            if cond.delegation not in delegations:
                yield f"clause_types[{i}].sign_conditions[{j}].delegation", f"Unknown delegation '{cond.delegation}'."
            if cond.indicator not in indicators:
                yield f"clause_types[{i}].sign_conditions[{j}].indicator", f"Unknown indicator '{cond.indicator}'."
    for i, cap in enumerate(deck.readiness_caps):
        path = f"readiness_caps[{i}]"
        yield from _tracked(deck, cap.between, f"{path}.between")
        rung = cap.rung
        if isinstance(rung, str) and rung not in deck.readiness_ladder:
            yield f"{path}.rung", f"'{rung}' is not a rung of the readiness ladder."
        elif isinstance(rung, int) and not 1 <= rung < len(deck.readiness_ladder):
            yield f"{path}.rung", f"Cap a rung from 1 to {len(deck.readiness_ladder) - 1} (rung 0 is where all start)."
        for j, cond in enumerate(cap.conditions):
            if cond.delegation not in delegations:
                yield f"{path}.conditions[{j}].delegation", f"Unknown delegation '{cond.delegation}'."
            if cond.indicator not in indicators:
                yield f"{path}.conditions[{j}].indicator", f"Unknown indicator '{cond.indicator}'."
    for i, inj in enumerate(deck.injects):
        if isinstance(inj.audience, tuple):
            yield from refs(inj.audience, delegations, f"injects[{i}].audience", "delegation")
        if inj.schedule and inj.schedule.phase is not None and inj.schedule.phase not in phases:
            yield f"injects[{i}].schedule.phase", f"Unknown phase '{inj.schedule.phase}'."
        yield from effects(inj.effects, f"injects[{i}].effects")
    for i, rule in enumerate(deck.ceasefire_risks):
        for key in rule.modifiers:
            if key not in clause_types:
                yield f"ceasefire_risks[{i}].modifiers.{key}", f"Unknown clause type '{key}'."
        yield from effects(rule.effects, f"ceasefire_risks[{i}].effects")
        for j, driver in enumerate(rule.driven_by):
            if driver.indicator not in indicators:
                yield f"ceasefire_risks[{i}].driven_by[{j}].indicator", f"Unknown indicator '{driver.indicator}'."
    if deck.ceasefire_risks and not any(k.establishes_ceasefire for k in deck.clause_types):
        yield "ceasefire_risks", "No clause type establishes a cease-fire, so these rules could never be drawn."
    for i, p in enumerate(deck.phases):
        if p.open_tables is not None:
            yield from refs(p.open_tables, tables, f"phases[{i}].open_tables", "table")
    seen = set()
    for i, b in enumerate(deck.beliefs):
        yield from refs((b.holder, b.about), delegations, f"beliefs[{i}]", "delegation")
        if b.holder == b.about:
            yield f"beliefs[{i}].about", "A delegation holds beliefs about others, not about itself."
        if (b.holder, b.about) in seen:
            yield f"beliefs[{i}]", f"'{b.holder}' already holds a belief about '{b.about}'."
        seen.add((b.holder, b.about))
    risks = {r.id for r in deck.ceasefire_risks}
    secret_ids = set()
    for i, s in enumerate(deck.secrets):
        yield from refs((s.holder,), delegations, f"secrets[{i}].holder", "delegation")
        if s.id in secret_ids:
            yield f"secrets[{i}].id", f"Duplicate secret '{s.id}'."
        secret_ids.add(s.id)
        card_ids = [c.id for c in s.cards]
        if len(set(card_ids)) != len(card_ids):
            yield f"secrets[{i}].cards", "Two cards share an id."
        for j, card in enumerate(s.cards):
            for key in card.risk:
                if key not in risks:
                    yield f"secrets[{i}].cards[{j}].risk.{key}", f"Unknown cease-fire risk '{key}'."
            for k, goal in enumerate(card.objectives):
                if goal.measure is not None and deck.delegation(s.holder) is not None:
                    yield from _measure(deck, goal.measure, deck.delegation(s.holder), f"secrets[{i}].cards[{j}].objectives[{k}].measure")
    yield from _debrief(deck)


def check_signals(deck: Deck) -> list[tuple[str, str]]:
    """Signal cards that will not play as written: warnings, not errors, so that decks stored with older
    exercises (written before these rules) still load. The engine ignores a card's own rise in readiness
    (readiness takes two), lets a card without a family answer only cards without one, and keeps a private
    play within the card's ``toward``."""
    found = []
    for i, s in enumerate(deck.signals):
        for name in ("cost", "effects", "on_withdraw"):
            e = getattr(s, name)
            if e is not None and e.readiness > 0:
                found.append((f"signals[{i}].{name}.readiness", "Readiness takes two: a card alone cannot raise it. "
                              "Put the rise in 'on_reciprocated' (or in an agreement's effects)."))
        if s.effects.trust > 0 and not s.family:
            found.append((f"signals[{i}].family", "A conciliatory card needs a family (the kind of move it is): "
                          "answers count only within a family."))
        if s.visibility != "public" and not s.toward:
            found.append((f"signals[{i}].toward", "A card that can be played privately needs a 'toward': whom it "
                          "may be played to."))
    return found


def _tracked(deck: Deck, between, path) -> Found:
    """A pair of known delegations whose relation the deck tracks (else it never moves)."""
    unknown = [(j, x) for j, x in enumerate(between) if deck.delegation(x) is None]
    for j, x in unknown:
        yield f"{path}[{j}]", f"Unknown delegation '{x}'."
    if not unknown and not any({*r.between} == {*between} for r in deck.relations):
        yield path, f"No relation is tracked between '{between[0]}' and '{between[1]}' (add it to relations)."


def _sees(indicator, delegation: str) -> bool:
    return indicator.visible_to == EVERYONE or (isinstance(indicator.visible_to, tuple)
                                                and delegation in indicator.visible_to)


def _measure(deck: Deck, m: Measure, who, path) -> Found:
    """A measure reads only what its delegation sees: an indicator shown to it, an agreement (public once in
    force), a pair it belongs to. Its delegation is told how it did; it must not learn more through it."""
    if m.indicator is not None:
        indicator = deck.indicator(m.indicator)
        if indicator is None:
            yield f"{path}.indicator", f"Unknown indicator '{m.indicator}'."
            return
        if not _sees(indicator, who.id):
            yield f"{path}.indicator", (f"{who.name} does not see indicator '{m.indicator}': measure by what the "
                                        "delegation sees.")
        bound, key = (m.at_least, "at_least") if m.at_least is not None else (m.at_most, "at_most")
        if not indicator.min <= bound <= indicator.max:
            yield f"{path}.{key}", (f"must lie between min ({indicator.min}) and max ({indicator.max}) of "
                                    f"'{indicator.id}'.")
    elif m.agreement is not None:
        if deck.clause_type(m.agreement) is None:
            yield f"{path}.agreement", f"Unknown clause type '{m.agreement}'."
    else:
        found = list(_tracked(deck, m.pair, f"{path}.pair"))
        yield from found
        if not found and who.id not in m.pair:
            yield f"{path}.pair", f"{who.name} is not one of this pair: measure by a relation it is part of."
        rung = m.readiness_at_least
        if isinstance(rung, str) and rung not in deck.readiness_ladder:
            yield f"{path}.readiness_at_least", f"'{rung}' is not a rung of the readiness ladder."
        elif isinstance(rung, int) and rung >= len(deck.readiness_ladder):
            yield f"{path}.readiness_at_least", f"The readiness ladder has only {len(deck.readiness_ladder)} rungs."


def _debrief(deck: Deck) -> Found:
    for i, dl in enumerate(deck.delegations):
        for part in ("objectives", "red_lines"):
            for j, goal in enumerate(getattr(dl, part)):
                if goal.measure is not None:
                    yield from _measure(deck, goal.measure, dl, f"delegations[{i}].{part}[{j}].measure")
    for i, q in enumerate(deck.debrief):
        focus, path = q.focus, f"debrief[{i}].focus"
        if focus is None:
            continue
        if focus.indicator is not None and deck.indicator(focus.indicator) is None:
            yield f"{path}.indicator", f"Unknown indicator '{focus.indicator}'."
        if focus.pair is not None:
            yield from _tracked(deck, focus.pair, f"{path}.pair")


def _sources(deck: Deck, notes: Mapping[str, dict]) -> Found:
    cited = [("sources", deck.sources)]
    for part in ("delegations", "signals", "clause_types", "injects", "ceasefire_risks", "beliefs", "secrets"):
        cited += [(f"{part}[{i}].sources", item.sources) for i, item in enumerate(getattr(deck, part))]
    for i, secret in enumerate(deck.secrets):
        cited += [(f"secrets[{i}].cards[{j}].sources", card.sources) for j, card in enumerate(secret.cards)]
    if deck.teaching is not None:
        cited.append(("teaching.run_sheet.reality_sources", deck.teaching.run_sheet.reality_sources))
    for path, sources in cited:
        yield from check_citations(path, sources, notes)


def check_citations(path: str, sources, notes: Mapping[str, dict]) -> Found:
    """Each citation of ``sources`` (``note`` or ``note#fact``) that names no note, or no fact of its note:
    ``(path[j], message)``."""
    for j, source in enumerate(sources):
        note_id, _, fact = source.partition("#")
        note = notes.get(note_id)
        if note is None:
            yield f"{path}[{j}]", f"Unknown source note '{note_id}' (no seeds/notes/{note_id}.yaml)."
        elif fact and not 1 <= int(fact) <= len(note["facts"]):
            yield f"{path}[{j}]", f"Source note '{note_id}' has no fact {fact} (it has {len(note['facts'])})."
