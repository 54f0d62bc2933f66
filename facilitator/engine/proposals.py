"""Proposals and agreements: drafted and amended at a table, signed by its parties, in force as a package.

A proposal is known at its table (seated delegations and observers); once in force,
everyone learns its terms and parties, but not who drafted it or how many versions it took.
"""

from __future__ import annotations

from collections import Counter
from types import MappingProxyType
from typing import Annotated

from .audience import Audience
from .ceasefire import CeasefireBegan
from .channels import is_open, not_muted, table_audience, table_channel
from .core import replace
from .core import Description, Number, Numbers, Outcome, Records, Ref, Text, command, decides, event, evolves, \
    initial, names, record, view
from .deck import Effects
from .errors import RuleError
from .guards import MAX_TEXT, MAX_TITLE, clean_text, member, name_of, started, text
from .indicators import apply_effects, pairs_among, pairs_with
from .visibility import entries, sees

OPEN, SIGNED, IN_FORCE, WITHDRAWN = "open", "signed", "in_force", "withdrawn"
MAX_CLAUSES, MAX_LINKS = 30, 20

# ---- state -----------------------------------------------------------------------------------------


@record
class ClauseText:
    clause_type: str
    title: str
    terms: str = ""


@record
class Proposal:
    number: int
    table: str
    title: str
    drafted_by: str
    clauses: tuple[ClauseText, ...]
    parties: tuple[str, ...]
    audience: Audience  # who was told of its current version
    links: tuple[int, ...] = ()
    version: int = 1
    signatures: tuple[str, ...] = ()
    status: str = OPEN
    in_force_audience: Audience | None = None  # who was told it entered into force

    @property
    def fully_signed(self) -> bool:
        return set(self.parties) <= set(self.signatures)


@record
class Proposals:
    items: tuple[Proposal, ...]

    def get(self, number: int) -> Proposal | None:
        return self.items[number - 1] if 1 <= number <= len(self.items) else None

    def in_force(self) -> list[Proposal]:
        return [p for p in self.items if p.status == IN_FORCE]


@initial
def _initial(deck) -> dict:
    return {"proposals": Proposals(())}


def _replace(proposals: Proposals, p: Proposal) -> Proposals:
    return Proposals(proposals.items[:p.number - 1] + (p,) + proposals.items[p.number:])


# ---- commands ----------------------------------------------------------------------------------------


@record
class Clause:
    clause_type: Ref
    terms: Text = ""


@command("draft_proposal")
class DraftProposal:
    table: Ref
    title: Text
    clauses: Annotated[tuple[Clause, ...], Records(MAX_CLAUSES)]
    links: Numbers(MAX_LINKS) = ()


@command("amend_proposal")
class AmendProposal:
    proposal: Number
    clauses: Annotated[tuple[Clause, ...], Records(MAX_CLAUSES)]
    title: Text | None = None  # None: keep
    links: Numbers(MAX_LINKS) | None = None  # None: keep
    version: Number | None = None  # the version the amender read


@command("sign_proposal")
class SignProposal:
    proposal: Number
    version: Number | None = None  # the version the signer read


@command("withdraw_proposal")
class WithdrawProposal:
    proposal: Number


# ---- events ------------------------------------------------------------------------------------------


@event("proposal_drafted")
class ProposalDrafted:
    proposal: int
    table: str
    title: str
    drafted_by: str
    clauses: tuple[ClauseText, ...]
    parties: tuple[str, ...]
    links: tuple[int, ...]
    version: int

    def describe(self, deck) -> Description:
        return Description("proposal", f"{names(deck, [self.drafted_by])} drafted proposal #{self.proposal} "
                                       f"“{self.title}” at {deck.table(self.table).name}",
                           "; ".join(c.title for c in self.clauses))


@event("proposal_amended")
class ProposalAmended:
    proposal: int
    title: str
    clauses: tuple[ClauseText, ...]
    links: tuple[int, ...]
    version: int
    amended_by: str

    def describe(self, deck) -> Description:
        return Description("proposal", f"{names(deck, [self.amended_by])} amended proposal #{self.proposal} "
                                       f"(version {self.version})", self.title)


@event("proposal_signed")
class ProposalSigned:
    proposal: int
    delegation: str
    version: int
    signer: str | None  # display name

    def describe(self, deck) -> Description:
        by = f" ({self.signer})" if self.signer else ""
        return Description("proposal", f"{names(deck, [self.delegation])} signed proposal #{self.proposal}{by}")


@event("proposal_withdrawn")
class ProposalWithdrawn:
    proposal: int
    by: str

    def describe(self, deck) -> Description:
        return Description("proposal", f"{names(deck, [self.by])} withdrew proposal #{self.proposal}")


@event("agreement_entered_into_force")
class AgreementInForce:
    proposal: int
    table: str
    title: str
    parties: tuple[str, ...]
    links: tuple[int, ...]
    clauses: tuple[ClauseText, ...]

    def describe(self, deck) -> Description:
        return Description("agreement", f"Agreement #{self.proposal} “{self.title}” is in force",
                           f"Parties: {names(deck, self.parties)}")


# ---- rules -------------------------------------------------------------------------------------------


def _check_clauses(state, table, me: str, clauses) -> tuple[ClauseText, ...]:
    if not clauses:
        raise RuleError("invalid", "A proposal needs at least one clause.", {"clauses": "empty"})
    checked = []
    for i, clause in enumerate(clauses):
        kind = state.deck.clause_type(clause.clause_type)
        if kind is None:
            raise RuleError("not_found", f"There is no clause type '{clause.clause_type}'.",
                            {f"clauses.{i}.clause_type": "unknown"})
        if kind.offered_by and me not in kind.offered_by:
            who = " or ".join(name_of(state, d) for d in kind.offered_by)
            raise RuleError("not_offerable", f"Only {who} can offer '{kind.title}'.",
                            {f"clauses.{i}.clause_type": "not yours to offer"})
        absent = [d for d in kind.requires_parties if d not in table.delegations]
        if absent:
            who = ", ".join(name_of(state, d) for d in absent)
            raise RuleError("missing_party", f"'{kind.title}' cannot be agreed without {who}, and {who} "
                                             f"is not a party at '{table.name}'.",
                            {f"clauses.{i}.clause_type": f"needs {who} at the table"})
        absent = [d for d in kind.signatories if d not in table.delegations]
        if absent:
            who = ", ".join(name_of(state, d) for d in absent)
            signers = " and ".join(name_of(state, d) for d in kind.signatories)
            raise RuleError("missing_signatory", f"'{kind.title}' binds only when {signers} sign it, and {who} "
                                                 f"cannot sign at '{table.name}' (not a party there).",
                            {f"clauses.{i}.clause_type": f"needs {who}'s signature"})
        if kind.tables and table.id not in kind.tables:
            where = " or ".join(f"'{state.deck.table(t).name}'" for t in kind.tables)
            raise RuleError("wrong_table", f"'{kind.title}' can be proposed only at {where}.",
                            {f"clauses.{i}.clause_type": "not at this table"})
        terms = clean_text(clause.terms)  # may be empty
        if len(terms) > MAX_TEXT:
            raise RuleError("too_long", f"Clause {i + 1} terms exceed {MAX_TEXT} characters.",
                            {f"clauses.{i}.terms": "too long"})
        checked.append(ClauseText(kind.id, kind.title, terms))
    return tuple(checked)


def counted_in_force(state) -> list[Proposal]:
    """Agreements that count against a clause type's ``max_in_force``: in force, and not the agreement of a
    cease-fire that collapsed (a broken cease-fire can be agreed again: Minsk I, then Minsk II)."""
    return [p for p in state.proposals.in_force() if p.number not in state.ceasefire.broken]


def _check_caps(state, entering: list, unseen: frozenset = frozenset()) -> None:
    """Refuse texts that would put more clauses of a type in force than the deck allows (``max_in_force``):
    a deal made once cannot be stacked by signing it again, at this table or another. ``entering``: the clauses
    of each text; ``unseen``: the indexes of texts the signer was not told of (a linked text at a table where it
    does not sit), whose clauses the refusal does not name."""
    counts = Counter(cl.clause_type for clauses in entering for cl in clauses)
    for clause_type, adding in counts.items():
        kind = state.deck.clause_type(clause_type)
        if kind.max_in_force is None:
            continue
        holding = [p.number for p in counted_in_force(state) for cl in p.clauses if cl.clause_type == clause_type]
        if len(holding) + adding > kind.max_in_force:
            if any(cl.clause_type == clause_type for i in unseen for cl in entering[i]):
                raise RuleError("limit_reached", "This signature would bring into force, with a text linked to it "
                                                 "that you were not shown, more of a clause than the deck allows "
                                                 "in force at once.", {"links": "a linked text"})
            already = f" (in force: agreement {', '.join(f'#{n}' for n in sorted(set(holding)))})" if holding else ""
            raise RuleError("limit_reached", f"At most {kind.max_in_force} '{kind.title}' may be in force at "
                                             f"once{already}.", {"clauses": clause_type})


def lacking_company(state, number: int) -> set[str]:
    """The delegations a clause of proposal ``number``'s package asks for beside it (``in_package_with``) that are
    parties to none of the package's texts: the company it still lacks (none: it may enter into force)."""
    texts = [state.proposals.get(n) for n in package_of(state, number)]
    asked = {d for p in texts for c in p.clauses for d in state.deck.clause_type(c.clause_type).in_package_with}
    return asked - {d for p in texts for d in p.parties} if asked else set()


def _check_company(state, proposal: Proposal, entering: list[Proposal], viewer) -> None:
    """Refuse a signature while a clause of the text, or of what it would bring into force, lacks the company its
    type asks for (``lacking_company``): texts of its package, none in force (``package_of``), to which those
    delegations are parties between them (and so must sign). Sanctions relief "only inside a deal Kyiv signs" is
    this rule (kyiv-decides). A text ``viewer`` (the signer) was not told of is not named."""
    lacking = lacking_company(state, proposal.number)
    for p in [proposal, *(e for e in entering if e.number != proposal.number)]:
        for clause in p.clauses:
            kind = state.deck.clause_type(clause.clause_type)
            absent = [d for d in kind.in_package_with if d in lacking]
            if absent and not sees(viewer, p.audience):
                raise RuleError("needs_package", "This signature would bring into force a text linked to it that you "
                                                 "were not shown, and that text binds only together with a text "
                                                 "others sign, which the package lacks.", {"links": "a linked text"})
            if absent:
                who = " and ".join(name_of(state, d) for d in absent)
                raise RuleError("needs_package", f"'{kind.title}' enters into force only together with a text {who} "
                                                 f"signs: link proposal #{p.number} to one {who} is a party to "
                                                 "(they then enter into force together).",
                                {"links": f"needs a text {who} signs"})


def _check_links(state, actor, links, own: int | None) -> tuple[int, ...]:
    """A proposal may link to proposals its drafter's delegation was told of, at any table where it sits:
    a package is made by someone who sees both sides of it. Any other number is 'not found', whether or
    not it exists, so a number tells nothing and nobody binds a deal they cannot see."""
    for number in links:
        linked = state.proposals.get(number)
        if linked is None or number == own or not sees(actor, linked.audience):
            raise RuleError("not_found", f"Cannot link to proposal #{number}.", {"links": number})
        if linked.status == WITHDRAWN:
            raise RuleError("conflict", f"Proposal #{number} was withdrawn.", {"links": number})
    return tuple(sorted(set(links)))


def _seated_table(state, table_id: str, me: str):
    table = state.deck.table(table_id)
    if table is None:
        raise RuleError("not_found", f"There is no table '{table_id}'.", {"table": "unknown"})
    if me not in table.seated:
        raise RuleError("forbidden", f"{name_of(state, me)} does not sit at '{table.name}'.")
    if state.room.channel_open(state, table_channel(table.id)) is False:
        raise RuleError("closed", f"The umpire has closed '{table.name}'.")
    if not is_open(state, table_channel(table.id)):
        raise RuleError("closed", f"'{table.name}' is closed at this point of the exercise.")
    return table


def _check_readiness(state, table, me: str) -> None:
    """Formal proposals at a table wait until every pair of its parties has climbed far enough.

    Only the two delegations of a pair know where they stand (``relation_audience``): others are told
    that the pair is not ready, not at which rung."""
    ladder = state.deck.readiness_ladder
    for key in pairs_among(table.delegations):
        relation = state.relations.get(key)
        if relation is not None and relation.readiness < table.min_readiness:
            who = " and ".join(name_of(state, d) for d in key)
            where = f"; they are at '{ladder[relation.readiness]}'" if me in key else ""
            raise RuleError("not_ready", f"Proposals at '{table.name}' need '{ladder[table.min_readiness]}' "
                                         f"between {who}{where}.")


def _open_proposal(out: Outcome, number: int, me: str):
    proposal = out.state.proposals.get(number)
    if proposal is None or not sees(out.actor, proposal.audience):
        raise RuleError("not_found", f"There is no proposal #{number}.", {"proposal": "unknown"})
    table = _seated_table(out.state, proposal.table, me)
    if proposal.status not in (OPEN, SIGNED):
        raise RuleError("conflict", f"Proposal #{number} is {proposal.status.replace('_', ' ')}.")
    return proposal, table


@decides(DraftProposal)
def _draft(out: Outcome, cmd: DraftProposal) -> None:
    state = out.state
    me = member(out.actor)
    started(state)
    not_muted(state, out.actor)
    table = _seated_table(state, cmd.table, me)
    _check_readiness(state, table, me)
    title = text(cmd.title, "title", MAX_TITLE)
    clauses = _check_clauses(state, table, me, cmd.clauses)
    links = _check_links(state, out.actor, cmd.links, None)
    _check_caps(state, [clauses])
    number = len(state.proposals.items) + 1
    out.act(ProposalDrafted(number, table.id, title, me, clauses, table.delegations, links, 1), table_audience(table))


def _check_version(proposal: Proposal, version: int | None, doing: str) -> None:
    if version is not None and version != proposal.version:
        raise RuleError("stale", f"Proposal #{proposal.number} was amended (now version {proposal.version}); "
                                 f"read it again before {doing}.", {"version": proposal.version})


@decides(AmendProposal)
def _amend(out: Outcome, cmd: AmendProposal) -> None:
    me = member(out.actor)
    not_muted(out.state, out.actor)
    proposal, table = _open_proposal(out, cmd.proposal, me)
    _check_version(proposal, cmd.version, "amending it")
    if proposal.signatures and me not in proposal.parties and not out.state.deck.amendments.mediators_may_amend_signed:
        who = ", ".join(name_of(out.state, d) for d in proposal.signatures)
        raise RuleError("forbidden", f"{who} signed proposal #{proposal.number}: now only its parties may amend it. "
                                     "A mediator proposes; the parties own the text (draft a new proposal instead).")
    title = text(cmd.title, "title", MAX_TITLE) if cmd.title is not None else proposal.title
    clauses = _check_clauses(out.state, table, me, cmd.clauses)
    if cmd.links is None:
        links = proposal.links
    else:  # links already there stay as they are; only new ones must be proposals the amender was told of
        added = [n for n in cmd.links if n not in proposal.links]
        links = tuple(sorted(set(_check_links(out.state, out.actor, added, proposal.number))
                             | {n for n in cmd.links if n in proposal.links}))
    _check_caps(out.state, [clauses])
    out.act(ProposalAmended(proposal.number, title, clauses, links, proposal.version + 1, me), table_audience(table))
    if out.state.deck.amendments.refund_signing_costs:  # the signatures were cleared: so are their costs
        for signer in proposal.signatures:
            for cl in proposal.clauses:
                cost = out.state.deck.clause_type(cl.clause_type).signing_costs.get(signer)
                if cost:
                    apply_effects(out, _refund(cost), pairs_with(signer, proposal.parties),
                                  "a signature's cost refunded")


def _refund(cost: Effects) -> Effects:
    return Effects(MappingProxyType({k: -v for k, v in cost.indicators.items()}), -cost.trust, -cost.readiness,
                   cost.pairs, tuple(replace(m, by=-m.by) for m in cost.beliefs))


@decides(SignProposal)
def _sign(out: Outcome, cmd: SignProposal) -> None:
    state = out.state
    me = member(out.actor)
    proposal, table = _open_proposal(out, cmd.proposal, me)
    if me not in proposal.parties:
        raise RuleError("forbidden", f"{name_of(state, me)} is not a party to proposal #{proposal.number}.")
    _check_version(proposal, cmd.version, "signing")
    if me in proposal.signatures:
        raise RuleError("already_signed", f"{name_of(state, me)} has already signed proposal #{proposal.number}.")
    kinds = [state.deck.clause_type(cl.clause_type) for cl in proposal.clauses]
    for kind in kinds:
        for condition in kind.sign_conditions:
            if condition.delegation == me and not condition.holds(state.indicators[condition.indicator]):
                name = state.deck.indicator(condition.indicator).name
                raise RuleError("cannot_ratify", condition.message or
                                f"{name_of(state, me)} can ratify '{kind.title}' only while {name} is "
                                f"{condition.wanted()}.")
    entering = _entering(state, proposal, me)
    _check_caps(state, [p.clauses for p in entering],
                frozenset(i for i, p in enumerate(entering) if not sees(out.actor, p.audience)))
    _check_company(state, proposal, entering, out.actor)
    out.act(ProposalSigned(proposal.number, me, proposal.version, out.actor.name), table_audience(table))
    for kind in kinds:
        cost = kind.signing_costs.get(me)
        if cost:  # the reason reaches beyond the table: it does not say what was signed
            apply_effects(out, cost, pairs_with(me, proposal.parties), "cost of a signature")
    _enter_into_force(out, proposal.number)


def package_of(state, number: int) -> set[int]:
    """Proposal ``number`` and every proposal linked to it, in either direction. A withdrawn proposal binds
    nothing any more, nor does an agreement in force (it entered into force without what is linked to it now):
    either is left out, and the package is not followed through it."""
    package, frontier = set(), [number]
    while frontier:
        n = frontier.pop()
        status = state.proposals.get(n).status
        if n in package or status == WITHDRAWN or (status == IN_FORCE and n != number):
            continue
        package.add(n)
        frontier += list(state.proposals.get(n).links)
        frontier += [p.number for p in state.proposals.items if n in p.links]
    return package


def _entering(state, proposal: Proposal, me: str) -> list[Proposal]:
    """What would enter into force with ``me``'s signature: its package, if that completes it; else the
    proposal itself is checked (nobody pays to sign a text that could not enter into force)."""
    signed = replace(proposal, signatures=proposal.signatures + (me,))
    members = [signed if n == proposal.number else state.proposals.get(n) for n in package_of(state, proposal.number)]
    if all(p.fully_signed for p in members):
        return [p for p in members if p.status != IN_FORCE]
    return [proposal]


def _enter_into_force(out: Outcome, number: int) -> None:
    """Bring proposal ``number``'s package into force once every proposal in it is fully signed."""
    members = [out.state.proposals.get(n) for n in sorted(package_of(out.state, number))]
    if not all(p.fully_signed for p in members):
        return
    package = {p.number for p in members}
    for p in members:
        if p.status == IN_FORCE:
            continue
        out.consequence(AgreementInForce(p.number, p.table, p.title, p.parties, tuple(sorted(package - {p.number})),
                                         p.clauses), Audience.all())
        kinds = [out.state.deck.clause_type(cl.clause_type) for cl in p.clauses]
        for kind in kinds:
            apply_effects(out, kind.effects, pairs_among(p.parties), f"agreement #{p.number}: {kind.title}")
        if out.state.ceasefire.current is None and any(k.establishes_ceasefire for k in kinds):
            out.consequence(CeasefireBegan(p.number, p.title), Audience.all())


@decides(WithdrawProposal)
def _withdraw(out: Outcome, cmd: WithdrawProposal) -> None:
    me = member(out.actor)
    proposal, table = _open_proposal(out, cmd.proposal, me)
    if proposal.drafted_by != me:
        raise RuleError("forbidden", "Only the delegation that drafted a proposal may withdraw it.")
    out.act(ProposalWithdrawn(proposal.number, me), table_audience(table))


@evolves(ProposalDrafted)
def _drafted(state, e: ProposalDrafted, event):
    proposal = Proposal(e.proposal, e.table, e.title, e.drafted_by, e.clauses, e.parties, event.audience, e.links,
                        e.version)
    return replace(state, proposals=Proposals(state.proposals.items + (proposal,)))


@evolves(ProposalAmended)
def _amended(state, e: ProposalAmended, event):
    p = state.proposals.get(e.proposal)
    amended = replace(p, title=e.title, clauses=e.clauses, links=e.links, version=e.version, signatures=(),
                      status=OPEN, audience=event.audience)
    return replace(state, proposals=_replace(state.proposals, amended))


@evolves(ProposalSigned)
def _signed(state, e: ProposalSigned, event):
    p = state.proposals.get(e.proposal)
    signatures = p.signatures + (e.delegation,)
    status = SIGNED if set(p.parties) <= set(signatures) else OPEN
    return replace(state, proposals=_replace(state.proposals, replace(p, signatures=signatures, status=status)))


@evolves(ProposalWithdrawn)
def _withdrawn(state, e: ProposalWithdrawn, event):
    p = state.proposals.get(e.proposal)
    return replace(state, proposals=_replace(state.proposals, replace(p, status=WITHDRAWN)))


@evolves(AgreementInForce)
def _in_force(state, e: AgreementInForce, event):
    p = state.proposals.get(e.proposal)
    return replace(state, proposals=_replace(state.proposals, replace(p, status=IN_FORCE,
                                                                       in_force_audience=event.audience)))


# ---- view --------------------------------------------------------------------------------------------


def _clauses_view(clauses) -> list[dict]:
    return [{"clause_type": c.clause_type, "terms": c.terms, "title": c.title} for c in clauses]


@view("proposals", reads=("proposals",), key="proposal")
def _proposals(state, viewer) -> list[dict]:
    """Proposals as their table knows them; agreements in force as everyone learnt of them."""
    def entry(p) -> dict | None:
        if sees(viewer, p.audience):
            return {"proposal": p.number, "table": p.table, "title": p.title, "drafted_by": p.drafted_by,
                    "clauses": _clauses_view(p.clauses), "parties": list(p.parties), "links": list(p.links),
                    "version": p.version, "signatures": list(p.signatures), "status": p.status}
        if p.in_force_audience is not None and sees(viewer, p.in_force_audience):
            # What the agreement_entered_into_force event told: in force, so every party signed.
            return {"proposal": p.number, "table": p.table, "title": p.title, "drafted_by": None,
                    "clauses": _clauses_view(p.clauses), "parties": list(p.parties), "links": list(p.links),
                    "version": None, "signatures": list(p.parties), "status": IN_FORCE}
        return None

    return entries(state.proposals.items, entry)


@view("clause_types", reads=())
def _clause_types(state, viewer) -> list[dict]:
    return [{"id": k.id, "title": k.title, "text": k.text, "topics": list(k.topics), "offered_by": list(k.offered_by),
             "requires_parties": list(k.requires_parties), "tables": list(k.tables),
             "signatories": list(k.signatories), "max_in_force": k.max_in_force,
             "in_package_with": list(k.in_package_with)} for k in state.deck.clause_types]
