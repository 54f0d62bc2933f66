"""Variants of a deck: a deck file that adapts another (``variant_of``), and delegations left out.

A variant file names its base and changes it: ``leave_out`` (delegations to remove, with everything that
names them), ``drop`` (``{injects | signals | clause_types | tables: [ids]}``, removed likewise), then every
other key of the file replaces the base's (``id``, ``title``, ``summary``, ``phases``, ``teaching`` …).
The result is plain deck data, checked as any deck is: a variant cannot break a rule the base keeps.

Leaving a delegation out (a variant's ``leave_out``, or the umpire's choice at creation among those the
deck marks ``optional``) removes it and what cannot stand without it: its cards (those no one else holds), the relations, beliefs and
secrets it is part of, the tables left with fewer than two parties, the clause types it must sign or offer
alone, the injects sent only to it, the goals measured on a pair with it, the team roles only for it or
for its tables (``teaching.roles``); and takes it out of every list
that names it (tables, audiences, ``toward``, sign conditions, effects' pairs). Work on data, not on the
engine's records, so that the exercise stores the deck it plays.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Iterable

PARTS = ("injects", "signals", "clause_types", "tables")
EFFECT_KEYS = ("effects", "cost", "on_reciprocated", "on_withdraw")


class VariantError(ValueError):
    """A variant names what its base does not have; the message says what."""


def resolve(data: dict, read_base: Callable[[str], dict]) -> dict:
    """``data`` as a whole deck: itself if it names no base, else its base (read by ``read_base(id)``, itself
    resolved) with the changes applied. Raises ``VariantError`` for an unknown base or id to remove."""
    base_id = data.get("variant_of")
    if not base_id:
        return data
    base = resolve(read_base(base_id), read_base)
    if base.get("variant_of"):
        raise VariantError(f"'{base_id}' is itself a variant: adapt the deck it adapts.")
    merged = leave_out(base, data.get("leave_out") or ())
    merged = drop(merged, data.get("drop") or {})
    for key, value in data.items():
        if key not in ("leave_out", "drop"):
            merged[key] = copy.deepcopy(value)
    return merged


def drop(data: dict, parts: dict) -> dict:
    """``data`` without the injects, signal cards, clause types and tables ``parts`` names, nor what refers
    to them. Raises ``VariantError`` for an unknown part or id."""
    data = copy.deepcopy(data)
    for part, ids in parts.items():
        if part not in PARTS:
            raise VariantError(f"'drop' takes {', '.join(PARTS)}, not '{part}'.")
        known = {item["id"] for item in data.get(part, [])}
        unknown = sorted(set(ids) - known)
        if unknown:
            raise VariantError(f"The base deck has no {part} {', '.join(unknown)}.")
        data[part] = [item for item in data.get(part, []) if item["id"] not in set(ids)]
    _tidy(data)
    return data


def leave_out(data: dict, delegations: Iterable[str]) -> dict:
    """``data`` without ``delegations`` and whatever cannot stand without them (see the module's text).
    Raises ``VariantError`` for an unknown delegation, or if fewer than two would remain."""
    gone = set(delegations)
    if not gone:
        return copy.deepcopy(data)
    known = {d["id"] for d in data.get("delegations", [])}
    unknown = sorted(gone - known)
    if unknown:
        raise VariantError(f"The deck has no delegation {', '.join(unknown)}.")
    if len(known - gone) < 2:
        raise VariantError("An exercise needs at least two delegations.")
    data = copy.deepcopy(data)
    kept_hands = {c for d in data["delegations"] if d["id"] not in gone for c in d.get("hand", [])}
    their_cards = {c for d in data["delegations"] if d["id"] in gone for c in d.get("hand", [])} - kept_hands
    data["delegations"] = [d for d in data["delegations"] if d["id"] not in gone]
    data["signals"] = [c for c in data.get("signals", []) if c["id"] not in their_cards]
    for table in data.get("tables", []):
        table["delegations"] = [d for d in table["delegations"] if d not in gone]
        table["mediators"] = [d for d in table.get("mediators", []) if d not in gone]
    data["tables"] = [t for t in data.get("tables", []) if len(t["delegations"]) >= 2]
    for indicator in data.get("indicators", []):
        if isinstance(indicator.get("visible_to"), list):
            indicator["visible_to"] = [d for d in indicator["visible_to"] if d not in gone] or "umpire"
    data["relations"] = [r for r in data.get("relations", []) if not gone & set(r["between"])]
    data["readiness_caps"] = [c for c in data.get("readiness_caps", []) if not gone & set(c["between"])]
    for cap in data["readiness_caps"]:
        cap["conditions"] = [c for c in cap.get("conditions", []) if c.get("delegation") not in gone]
    data["beliefs"] = [b for b in data.get("beliefs", []) if not gone & {b["holder"], b["about"]}]
    data["secrets"] = [s for s in data.get("secrets", []) if s["holder"] not in gone]
    for card in data.get("signals", []):
        if card.get("toward"):
            card["toward"] = [d for d in card["toward"] if d not in gone]
    data["signals"] = [c for c in data.get("signals", []) if not ("toward" in c and not c["toward"])]
    kept = []
    for clause in data.get("clause_types", []):
        if gone & set(clause.get("requires_parties", [])) or gone & set(clause.get("signatories", [])) \
                or gone & set(clause.get("in_package_with", [])):
            continue
        if clause.get("offered_by"):
            clause["offered_by"] = [d for d in clause["offered_by"] if d not in gone]
            if not clause["offered_by"]:
                continue
        clause["signing_costs"] = {k: v for k, v in (clause.get("signing_costs") or {}).items() if k not in gone}
        clause["sign_conditions"] = [c for c in clause.get("sign_conditions", []) if c.get("delegation") not in gone]
        kept.append(clause)
    data["clause_types"] = kept
    for inject in data.get("injects", []):
        if isinstance(inject.get("audience"), list):
            inject["audience"] = [d for d in inject["audience"] if d not in gone]
    data["injects"] = [i for i in data.get("injects", []) if i.get("audience") != []]
    for effects in _all_effects(data):
        effects["pairs"] = [p for p in effects.get("pairs", []) if not gone & set(p)]
        effects["beliefs"] = [b for b in effects.get("beliefs", []) if not gone & {b["holder"], b["about"]}]
    for question in data.get("debrief", []):
        focus = question.get("focus") if isinstance(question, dict) else None
        if focus and focus.get("pair") and gone & set(focus["pair"]):
            question["focus"] = None
    quality = data.get("quality") or {}
    if quality.get("allow_unmet"):
        quality["allow_unmet"] = [ref for ref in quality["allow_unmet"] if ref.partition("#")[0] not in gone]
    _tidy(data, gone)
    return data


def _tidy(data: dict, gone: set[str] = frozenset()) -> None:
    """Remove what refers to a card, clause type, table or inject no longer in ``data`` (and goals measured
    on a pair with a delegation in ``gone``), keeping ``quality.allow_unmet`` numbered as the goals are."""
    tables = {t["id"] for t in data.get("tables", [])}
    for clause in data.get("clause_types", []):
        if clause.get("tables"):
            clause["tables"] = [t for t in clause["tables"] if t in tables]
    # A clause bound to tables that are all gone can be proposed nowhere (an empty list would mean anywhere).
    data["clause_types"] = [c for c in data.get("clause_types", []) if c.get("tables") != []]
    signals = {c["id"] for c in data.get("signals", [])}
    clauses = {c["id"] for c in data.get("clause_types", [])}
    injects = {i["id"] for i in data.get("injects", [])}
    for delegation in data.get("delegations", []):
        delegation["hand"] = [c for c in delegation.get("hand", []) if c in signals]
    for phase in data.get("phases", []):
        if phase.get("open_tables"):
            phase["open_tables"] = [t for t in phase["open_tables"] if t in tables]
    for rule in data.get("ceasefire_risks", []):
        rule["modifiers"] = {k: v for k, v in (rule.get("modifiers") or {}).items() if k in clauses}
    if data.get("ceasefire_risks") and not any(c.get("establishes_ceasefire") for c in data.get("clause_types", [])):
        data["ceasefire_risks"] = []
        data.pop("epilogue", None)
    risks = {r["id"] for r in data.get("ceasefire_risks", [])}
    for secret in data.get("secrets", []):
        for card in secret.get("cards", []):
            card["risk"] = {k: v for k, v in (card.get("risk") or {}).items() if k in risks}

    def stands(goal) -> bool:
        measure = goal.get("measure") if isinstance(goal, dict) else None
        if not measure:
            return True
        if measure.get("agreement") and measure["agreement"] not in clauses:
            return False
        return not (measure.get("pair") and set(measure["pair"]) & gone)

    quality = data.get("quality") or {}
    renumbered = {}
    for delegation in data.get("delegations", []):
        objectives = delegation.get("objectives", [])
        kept = [(n, goal) for n, goal in enumerate(objectives, 1) if stands(goal)]
        renumbered.update({f"{delegation['id']}#{old}": f"{delegation['id']}#{new}"
                           for new, (old, _) in enumerate(kept, 1)})
        delegation["objectives"] = [goal for _, goal in kept]
        delegation["red_lines"] = [goal for goal in delegation.get("red_lines", []) if stands(goal)]
    if quality.get("allow_unmet"):
        quality["allow_unmet"] = [renumbered[ref] for ref in quality["allow_unmet"] if ref in renumbered]
    if quality.get("allow_unplayed"):
        quality["allow_unplayed"] = [c for c in quality["allow_unplayed"] if c in signals]
    teaching = data.get("teaching") or {}
    kept_roles = []
    for role in teaching.get("roles", []):
        named = bool(role.get("tables") or role.get("delegations"))
        if role.get("tables"):
            role["tables"] = [t for t in role["tables"] if t in tables]
        if role.get("delegations"):
            role["delegations"] = [d for d in role["delegations"] if d not in gone]
        if not named or role.get("tables") or role.get("delegations"):  # a role for teams no longer there goes
            kept_roles.append(role)
    if "roles" in teaching:
        teaching["roles"] = kept_roles
    for goal in teaching.get("learning_objectives", []):
        goal["signals"] = [c for c in goal.get("signals", []) if c in signals]
        goal["clause_types"] = [c for c in goal.get("clause_types", []) if c in clauses]
        goal["injects"] = [i for i in goal.get("injects", []) if i in injects]


def _all_effects(data: dict) -> Iterable[dict]:
    """Every effects mapping in ``data`` (of cards, clauses, injects, risks, thresholds), to edit in place."""
    for card in data.get("signals", []):
        yield from (card[k] for k in EFFECT_KEYS if isinstance(card.get(k), dict))
    for clause in data.get("clause_types", []):
        if isinstance(clause.get("effects"), dict):
            yield clause["effects"]
        yield from (c for c in (clause.get("signing_costs") or {}).values() if isinstance(c, dict))
    for item in data.get("injects", []) + data.get("ceasefire_risks", []):
        if isinstance(item.get("effects"), dict):
            yield item["effects"]
    for indicator in data.get("indicators", []):
        for threshold in indicator.get("thresholds", []):
            if isinstance(threshold.get("effects"), dict):
                yield threshold["effects"]
