"""Injects and the event list (MSEL): exercise control's planned events, each a row with a serial number, a
planned time (a phase and a minute of *played* time into it), an audience, a delivery, its text and
effects, the player action expected and a note for controllers only.

Rows come from the deck's injects, or are added, edited, delayed, skipped, reordered and imported during
the exercise; every change is an event only exercise control sees. Firing a row tells its audience and
applies its effects, and is the same event (``inject_fired``) whether the umpire fires it by hand or the
server fires it on schedule (``fire_due_injects``, see ``due``). A row's expected action and controller
note never leave the event list: no event a player may see carries them.
"""

from __future__ import annotations

from datetime import datetime
from operator import attrgetter
from typing import Annotated

from .audience import Audience
from .core import replace
from .core import Description, Int, Outcome, Records, Ref, Refs, Text, command, decides, event, evolves, initial, \
    names, record, view
from .deck import DELIVERIES, EVERYONE, NO_EFFECTS, UMPIRE_ONLY, BeliefMove, Effects, InjectCard, PollSpec
from .errors import RuleError
from .channels import PLENARY, MessagePosted, delegation_channel
from .guards import MAX_TEXT, MAX_TITLE, clean_text, text, umpire as control
from .indicators import apply_effects, effects_view, pairs_among
from .polls import MAX_MARGIN
from .visibility import entries, sees

EVENT_LIST = Audience.umpire_only()  # the rows, before they are fired, are exercise control's
PENDING, FIRED, SKIPPED = "pending", "fired", "skipped"
KINDS = ("historical", "hypothetical", "intelligence", "contingency", "ad hoc")
MAX_ROWS = 500
MAX_NUMBER = 100_000
MAX_MINUTE = 600
MAX_SENDER = 120
MAX_DATE = 40
LATE_AFTER = 1  # minutes past its time: a row fired later than this by the schedule is marked late

# ---- state -----------------------------------------------------------------------------------------


@record
class Row:
    """One row of the event list. ``audience``: ``"all"``, ``"umpire"`` or delegation ids."""

    id: str
    number: int
    title: str
    text: str
    kind: str
    sender: str = ""
    audience: str | tuple[str, ...] = EVERYONE
    delivery: str = "banner"
    phase: str | None = None
    minute: int | None = None
    effects: Effects = NO_EFFECTS
    expected_action: str = ""
    controller_note: str = ""
    scenario_date: str = ""
    historical: bool = False
    sources: tuple[str, ...] = ()
    inject: str | None = None  # the deck inject it came from
    status: str = PENDING
    due: bool = False  # flagged as due by the schedule, in "ask me" mode
    fired_seq: int | None = None
    fired_to: tuple[str, ...] | None = None  # the delegations it was fired to (None: its audience word)
    late: int | None = None  # minutes late, when the schedule fired it after its time

    @property
    def scheduled(self) -> bool:
        return self.phase is not None or self.minute is not None


@record
class FiredInject:
    """An inject as its audience knows it."""

    inject: str | None  # the row's id (None in old logs for an ad hoc inject)
    title: str
    seq: int
    to: tuple[str, ...] | None  # None: everyone
    audience: Audience
    delivery: str = "banner"
    sender: str = ""


@record
class Injects:
    rows: tuple[Row, ...] = ()
    fired: tuple[FiredInject, ...] = ()
    automatic: bool = True  # the server fires due rows itself; False: it flags them and the umpire fires

    def row(self, row_id: str) -> Row | None:
        rows = self.rows
        ids = list(map(_ROW_ID, rows))  # at C speed: the list grows with every ad hoc inject
        return rows[ids.index(row_id)] if row_id in ids else None

    @property
    def next_number(self) -> int:
        return max(map(_ROW_NUMBER, self.rows), default=0) + 1


_ROW_ID, _ROW_NUMBER = attrgetter("id"), attrgetter("number")


def row_from_card(card: InjectCard, number: int) -> Row:
    """A deck inject as a row, its texts normalised as a row written by the umpire would be (so a row
    exported and imported again comes back the same)."""
    schedule = card.schedule
    historical = card.kind == "historical" if card.historical is None else card.historical
    return Row(card.id, number, clean_text(card.title, False), clean_text(card.text), card.kind,
               clean_text(card.sender, False), card.audience, card.delivery,
               schedule.phase if schedule else None, schedule.minute if schedule else None, card.effects,
               clean_text(card.expected_action), clean_text(card.controller_note),
               clean_text(card.scenario_date, False), historical, card.sources, card.id)


@initial
def _initial(deck) -> dict:
    return {"injects": Injects(tuple(row_from_card(c, n) for n, c in enumerate(deck.injects, 1)))}


# ---- commands ----------------------------------------------------------------------------------------


@record
class IndicatorDelta:
    indicator: Ref
    delta: Int(-1000, 1000)


@record
class BeliefDelta:
    holder: Ref
    about: Ref
    by: Int(-100, 100)


@record
class PollRow:
    indicator: Ref
    margin: Int(1, MAX_MARGIN) = 5


@record
class InjectRow:
    """A row as the umpire writes it (add, edit, import). ``audience``: ``all``, ``umpire`` or
    ``delegations`` (then ``to`` names them). ``number`` and ``id`` are kept by an import."""

    title: Text
    text: Text
    kind: Ref = "contingency"
    sender: Text = ""
    audience: Ref = EVERYONE
    to: Refs = ()
    delivery: Ref = "banner"
    phase: Ref | None = None
    minute: Int(0, MAX_MINUTE) | None = None
    indicators: Annotated[tuple[IndicatorDelta, ...], Records(50)] = ()
    trust: Int(-100, 100) = 0
    readiness: Int(-10, 10) = 0
    beliefs: Annotated[tuple[BeliefDelta, ...], Records(50)] = ()  # moves of private beliefs (control sees)
    polls: Annotated[tuple[PollRow, ...], Records(10)] = ()  # readings published when it fires
    expected_action: Text = ""
    controller_note: Text = ""
    scenario_date: Text = ""
    historical: bool = False
    number: Int(1, MAX_NUMBER) | None = None
    id: Ref | None = None


@command("fire_inject")
class FireInject:
    """Fire a row of the event list (``inject``), as written or as an edited copy (``title``, ``text``,
    ``to`` replace the row's for this firing), or an ad hoc inject (``title`` and ``text``: saved as a row)."""

    inject: Ref | None = None
    to: Refs | None = None  # None: the row's own audience (ad hoc: everyone)
    title: Text | None = None
    text: Text | None = None


@command("add_inject")
class AddInject:
    inject: InjectRow


@command("edit_inject")
class EditInject:
    """Rewrite a row that has not been fired (every field, as ``add_inject`` takes them)."""

    inject: Ref
    row: InjectRow


@command("delay_inject")
class DelayInject:
    inject: Ref
    minutes: Int(-MAX_MINUTE, MAX_MINUTE)


@command("skip_inject")
class SkipInject:
    inject: Ref
    skipped: bool = True  # False: put a skipped row back in the plan


@command("move_inject")
class MoveInject:
    inject: Ref
    before: Ref | None = None  # None: to the end of the list


@command("import_event_list")
class ImportEventList:
    """Replace the rows not yet fired or skipped with ``rows`` (those fired or skipped stay as they were)."""

    rows: Annotated[tuple[InjectRow, ...], Records(MAX_ROWS)]


@command("set_firing")
class SetFiring:
    automatic: bool


@command("fire_due_injects", client=False)
class FireDueInjects:
    """Made by the server's schedule: fire the rows due now, or flag them in "ask me" mode (see ``due``)."""


# ---- events ------------------------------------------------------------------------------------------


def _row_of_v1(data: dict) -> dict:
    """Version 1 had no event list: ``inject`` was the deck card (or None for an ad hoc inject)."""
    return {**data, "row": data.get("inject"), "number": None, "sender": "", "delivery": "banner",
            "edited": False, "late": None}


@event("inject_fired", version=2, upgrades={1: _row_of_v1})
class InjectFired:
    row: str | None
    number: int | None
    inject: str | None  # the deck inject the row came from
    title: str
    text: str
    kind: str
    sender: str
    delivery: str
    sources: tuple[str, ...]
    to: tuple[str, ...] | None  # None: the row's audience word (everyone, or exercise control)
    edited: bool  # fired as an edited copy of its row
    late: int | None  # minutes late (fired by the schedule after its time)

    def describe(self, deck) -> Description:
        to = f" (to {names(deck, self.to)})" if self.to else ""
        return Description("inject", f"Inject: {self.title}{to}", f"from {self.sender}" if self.sender else None)


@event("inject_added")
class InjectAdded:
    row: Row

    def describe(self, deck) -> Description:
        return Description("inject", f"Event list: #{self.row.number} {self.row.title} added")


@event("inject_edited")
class InjectEdited:
    row: Row

    def describe(self, deck) -> Description:
        return Description("inject", f"Event list: #{self.row.number} {self.row.title} edited")


@event("inject_delayed")
class InjectDelayed:
    inject: str
    number: int
    minutes: int
    minute: int  # its new minute into the phase

    def describe(self, deck) -> Description:
        what = "delayed" if self.minutes > 0 else "brought forward"
        return Description("inject", f"Event list: #{self.number} {what} by {abs(self.minutes)} min "
                                     f"(now minute {self.minute})")


@event("inject_skipped")
class InjectSkipped:
    inject: str
    number: int
    skipped: bool

    def describe(self, deck) -> Description:
        return Description("inject", f"Event list: #{self.number} " + ("skipped" if self.skipped else "back in the plan"))


@event("inject_moved")
class InjectMoved:
    inject: str
    number: int
    before: str | None

    def describe(self, deck) -> Description:
        return Description("inject", f"Event list: #{self.number} moved")


@event("event_list_imported")
class EventListImported:
    rows: tuple[Row, ...]  # the new rows not yet fired
    order: tuple[str, ...]  # every row's id, in the list's new order (fired and skipped rows too)

    def describe(self, deck) -> Description:
        count = len(self.rows)
        return Description("inject", f"Event list imported ({count} row{'' if count == 1 else 's'} to come)")


@event("firing_set")
class FiringSet:
    automatic: bool

    def describe(self, deck) -> Description:
        return Description("inject", "Due injects now fire automatically" if self.automatic
                           else "Due injects now wait for the umpire")


@event("inject_due")
class InjectDue:
    inject: str
    number: int
    title: str

    def describe(self, deck) -> Description:
        return Description("alert", f"Inject due: #{self.number} {self.title}")


# ---- checking a row ------------------------------------------------------------------------------------


def _row(state, given: InjectRow, number: int, row_id: str, problems: dict, at: str = "",
         inject: str | None = None, sources: tuple[str, ...] = ()) -> Row | None:
    """``given`` checked and normalised into a row; each problem goes into ``problems`` under ``at + field``."""
    deck = state.deck

    def check(field: str, value: str | None, limit: int, required: bool = False, lines: bool = False) -> str:
        cleaned = clean_text(value, lines)
        if required and not cleaned:
            problems[at + field] = "empty"
        elif len(cleaned) > limit:
            problems[at + field] = f"over {limit} characters"
        return cleaned

    title = check("title", given.title, MAX_TITLE, required=True)
    body = check("text", given.text, MAX_TEXT, required=True, lines=True)
    sender = check("sender", given.sender, MAX_SENDER)
    expected = check("expected_action", given.expected_action, MAX_TEXT, lines=True)
    note = check("controller_note", given.controller_note, MAX_TEXT, lines=True)
    date = check("scenario_date", given.scenario_date, MAX_DATE)
    if given.kind not in KINDS:
        problems[at + "kind"] = f"one of {', '.join(KINDS)}"
    if given.delivery not in DELIVERIES:
        problems[at + "delivery"] = f"one of {', '.join(DELIVERIES)}"
    audience: str | tuple[str, ...] = given.audience
    if given.audience == "delegations":
        unknown = [d for d in given.to if deck.delegation(d) is None]
        if unknown:
            problems[at + "to"] = f"unknown delegation(s): {', '.join(unknown)}"
        elif not given.to:
            problems[at + "to"] = "empty"
        audience = tuple(dict.fromkeys(given.to))
    elif given.audience not in (EVERYONE, UMPIRE_ONLY):
        problems[at + "audience"] = "all, umpire or delegations"
    elif given.to:
        problems[at + "to"] = "only with audience 'delegations'"
    if given.phase is not None and not any(p.id == given.phase for p in deck.phases):
        problems[at + "phase"] = f"unknown phase '{given.phase}'"
    if given.minute is not None and not 0 <= given.minute <= MAX_MINUTE:
        problems[at + "minute"] = f"0 to {MAX_MINUTE}"
    if len(given.indicators) > 50:
        problems[at + "indicators"] = "at most 50 changes"
    seen: set[str] = set()
    for i, change in enumerate(given.indicators):
        if change.indicator in seen:
            problems[f"{at}indicators.{i}"] = f"'{change.indicator}' given twice"
            continue
        seen.add(change.indicator)
        if deck.indicator(change.indicator) is None:
            problems[f"{at}indicators.{i}"] = f"unknown indicator '{change.indicator}'"
        elif not -1000 <= change.delta <= 1000:
            problems[f"{at}indicators.{i}"] = "a change of -1000 to 1000"
    if not -100 <= given.trust <= 100:
        problems[at + "trust"] = "-100 to 100"
    if not -10 <= given.readiness <= 10:
        problems[at + "readiness"] = "-10 to 10"
    if not 1 <= number <= MAX_NUMBER:
        problems[at + "number"] = f"1 to {MAX_NUMBER}"
    if not 1 <= len(row_id) <= 100:
        problems[at + "id"] = "1 to 100 characters"
    for i, move in enumerate(given.beliefs):
        if deck.belief(move.holder, move.about) is None:
            problems[f"{at}beliefs.{i}"] = f"no belief of '{move.holder}' about '{move.about}' in this deck"
        elif not move.by or not -100 <= move.by <= 100:
            problems[f"{at}beliefs.{i}"] = "a change of -100 to 100, not 0"
        elif any((b.holder, b.about) == (move.holder, move.about) for b in given.beliefs[:i]):
            problems[f"{at}beliefs.{i}"] = f"'{move.holder}>{move.about}' given twice"
    for i, poll in enumerate(given.polls):
        indicator = deck.indicator(poll.indicator)
        if indicator is None:
            problems[f"{at}polls.{i}"] = f"unknown indicator '{poll.indicator}'"
        elif indicator.visible_to == EVERYONE:
            problems[f"{at}polls.{i}"] = f"everyone already sees '{poll.indicator}'"
        elif not 1 <= poll.margin <= MAX_MARGIN:
            problems[f"{at}polls.{i}"] = f"a margin of 1 to {MAX_MARGIN}"
        elif any(p.indicator == poll.indicator for p in given.polls[:i]):
            problems[f"{at}polls.{i}"] = f"'{poll.indicator}' given twice"
    changes = {c.indicator: c.delta for c in given.indicators}
    effects = Effects(changes, given.trust, given.readiness,
                      beliefs=tuple(BeliefMove(b.holder, b.about, b.by) for b in given.beliefs),
                      polls=tuple(PollSpec(p.indicator, p.margin) for p in given.polls))
    effects = effects if effects else NO_EFFECTS
    if any(key.startswith(at) for key in problems):
        return None
    return Row(row_id, number, title, body, given.kind, sender, audience, given.delivery, given.phase,
               given.minute, effects, expected, note, date, given.historical, sources, inject)


def _one_row(state, given: InjectRow, number: int, row_id: str, **kw) -> Row:
    problems: dict = {}
    row = _row(state, given, number, row_id, problems, **kw)
    if row is None:
        raise RuleError("invalid", "This row has problems: " + "; ".join(f"{k}: {v}" for k, v in problems.items())
                        + ".", problems)
    return row


def _pending(state, row_id: str) -> Row:
    row = state.injects.row(row_id)
    if row is None:
        raise RuleError("not_found", f"There is no inject '{row_id}' in the event list.", {"inject": "unknown"})
    if row.status != PENDING:
        raise RuleError("conflict", f"Inject #{row.number} has already been {row.status}.", {"inject": row.status})
    return row


# ---- rules -------------------------------------------------------------------------------------------


def _fire(out: Outcome, row: Row, to: tuple[str, ...] | None, title: str, body: str, edited: bool,
          late: int | None = None, act: bool = True) -> None:
    """Tell ``row``'s audience (or ``to``), deliver it, and apply its effects."""
    if to is None and isinstance(row.audience, tuple):
        to = row.audience
    audience = Audience.of(to) if to else (Audience.umpire_only() if row.audience == UMPIRE_ONLY else Audience.all())
    fired = InjectFired(row.id, row.number, row.inject, title, body, row.kind, row.sender, row.delivery,
                        row.sources, to, edited, late)
    (out.act if act else out.consequence)(fired, audience)
    if row.delivery == "message" and row.audience != UMPIRE_ONLY:
        author = row.sender or "Exercise control"
        for channel in ([delegation_channel(d) for d in to] if to else [PLENARY]):
            out.consequence(MessagePosted(channel, f"{title}\n\n{body}", author, None),
                            out.state.channels.get(channel).audience)
    if row.effects:
        concerned = to or out.state.deck.delegation_ids()
        # A confidential inject's public effects must not name it: see signals.py.
        reason = f"inject '{title}'" if audience.everyone else "a confidential inject"
        apply_effects(out, row.effects, pairs_among(concerned), reason)


@decides(FireInject)
def _fire_inject(out: Outcome, cmd: FireInject) -> None:
    state = out.state
    control(out.actor)
    if cmd.to is not None and not cmd.to:
        raise RuleError("invalid", "Name at least one delegation, or leave 'to' out for the row's own audience.",
                        {"to": "empty"})
    to = None
    if cmd.to:
        unknown = [d for d in cmd.to if state.deck.delegation(d) is None]
        if unknown:
            raise RuleError("not_found", f"Unknown delegation(s): {', '.join(unknown)}.", {"to": unknown})
        to = tuple(dict.fromkeys(cmd.to))
    if cmd.inject is None:
        if cmd.title is None or cmd.text is None:
            raise RuleError("invalid", "Name a row of the event list, or give a title and a text for an ad hoc "
                                       "inject.", {"": "empty"})
        given = InjectRow(cmd.title, cmd.text, "ad hoc", audience="delegations" if to else EVERYONE, to=to or ())
        number = state.injects.next_number
        row = _one_row(state, given, number, f"row-{number}")
        out.consequence(InjectAdded(row), EVENT_LIST)  # the act is the firing, which its audience sees
        _fire(out, row, to, row.title, row.text, edited=False)
        return
    row = state.injects.row(cmd.inject)
    if row is None:
        raise RuleError("not_found", f"There is no inject '{cmd.inject}'.", {"inject": "unknown"})
    title = text(cmd.title, "title", MAX_TITLE) if cmd.title is not None else row.title
    body = text(cmd.text, "text", MAX_TEXT, lines=True) if cmd.text is not None else row.text
    edited = (title, body) != (row.title, row.text) or (to is not None and to != row.audience)
    _fire(out, row, to, title, body, edited)


@decides(AddInject)
def _add(out: Outcome, cmd: AddInject) -> None:
    control(out.actor)
    if cmd.inject.number is not None or cmd.inject.id is not None:
        raise RuleError("invalid", "A new row's number and id are given by the server (an import keeps them).",
                        {"inject.number" if cmd.inject.number is not None else "inject.id": "not allowed"})
    number = out.state.injects.next_number
    out.act(InjectAdded(_one_row(out.state, cmd.inject, number, f"row-{number}")), EVENT_LIST)


@decides(EditInject)
def _edit(out: Outcome, cmd: EditInject) -> None:
    control(out.actor)
    row = _pending(out.state, cmd.inject)
    if cmd.row.number not in (None, row.number) or cmd.row.id not in (None, row.id):
        raise RuleError("invalid", "A row keeps its number and id when edited.", {"row": "number or id changed"})
    edited = _one_row(out.state, cmd.row, row.number, row.id, inject=row.inject, sources=row.sources)
    out.act(InjectEdited(edited), EVENT_LIST)


@decides(DelayInject)
def _delay(out: Outcome, cmd: DelayInject) -> None:
    control(out.actor)
    row = _pending(out.state, cmd.inject)
    if not row.scheduled:
        raise RuleError("invalid", f"Inject #{row.number} has no planned time to move: give it one by editing it.",
                        {"inject": "unscheduled"})
    if not cmd.minutes:
        raise RuleError("invalid", "Delay by a number of minutes other than 0.", {"minutes": "zero"})
    minute = max(0, min(MAX_MINUTE, (row.minute or 0) + cmd.minutes))
    out.act(InjectDelayed(row.id, row.number, cmd.minutes, minute), EVENT_LIST)


@decides(SkipInject)
def _skip(out: Outcome, cmd: SkipInject) -> None:
    control(out.actor)
    row = out.state.injects.row(cmd.inject)
    if row is None:
        raise RuleError("not_found", f"There is no inject '{cmd.inject}' in the event list.", {"inject": "unknown"})
    if row.status == FIRED or (row.status == SKIPPED) == cmd.skipped:
        raise RuleError("conflict", f"Inject #{row.number} is {row.status}.", {"inject": row.status})
    out.act(InjectSkipped(row.id, row.number, cmd.skipped), EVENT_LIST)


@decides(MoveInject)
def _move(out: Outcome, cmd: MoveInject) -> None:
    control(out.actor)
    injects = out.state.injects
    row = injects.row(cmd.inject)
    if row is None or (cmd.before is not None and injects.row(cmd.before) is None):
        missing = "inject" if row is None else "before"
        raise RuleError("not_found", "There is no such row in the event list.", {missing: "unknown"})
    if cmd.before == cmd.inject:
        raise RuleError("invalid", "A row cannot move before itself.", {"before": "same row"})
    out.act(InjectMoved(row.id, row.number, cmd.before), EVENT_LIST)


@decides(ImportEventList)
def _import(out: Outcome, cmd: ImportEventList) -> None:
    """Every row is checked; nothing is imported if any is wrong (``invalid``, with ``rows.<i>.<field>``)."""
    control(out.actor)
    injects = out.state.injects
    kept = {r.number: r for r in injects.rows if r.status != PENDING}
    problems: dict = {}
    rows, numbers, ids, order = [], set(), {r.id for r in kept.values()}, []
    next_number = max([*kept, *(g.number or 0 for g in cmd.rows)], default=0) + 1
    for i, given in enumerate(cmd.rows):
        at = f"rows.{i}."
        number = given.number
        if number is None:
            number, next_number = next_number, next_number + 1
        if number in numbers:
            problems[at + "number"] = f"number {number} is used twice"
        numbers.add(number)
        if number in kept:
            order.append(kept[number].id)
            continue  # already fired or skipped: the record stays as it was, where the file puts it
        row_id = given.id or f"row-{number}"
        if row_id in ids:
            problems[at + "id"] = f"id '{row_id}' is used twice"
        ids.add(row_id)
        card = out.state.deck.inject(row_id)
        row = _row(out.state, given, number, row_id, problems, at, inject=card.id if card else None,
                   sources=card.sources if card else ())
        if row is not None:
            rows.append(row)
            order.append(row_id)
    if problems:
        raise RuleError("invalid", f"{len({k.split('.')[1] for k in problems})} row(s) of the event list have "
                                   "problems; nothing was imported.", problems)
    # Fired and skipped rows the file leaves out keep their place ahead of it.
    order = [r.id for r in injects.rows if r.status != PENDING and r.id not in order] + order
    out.act(EventListImported(tuple(rows), tuple(order)), EVENT_LIST)


@decides(SetFiring)
def _set_firing(out: Outcome, cmd: SetFiring) -> None:
    control(out.actor)
    if out.state.injects.automatic == cmd.automatic:
        raise RuleError("conflict", "Due injects already " + ("fire automatically." if cmd.automatic
                                                              else "wait for the umpire."))
    out.act(FiringSet(cmd.automatic), EVENT_LIST)


def due(state, now: datetime) -> list[tuple[Row, float]]:
    """The rows due at ``now``, with how many minutes past their time, in list order.

    A row is due while a phase's clock runs (never while paused, before the start or after the end) when
    it is pending, planned for this phase (or for no phase in particular) and the phase has been played
    for at least its minute. Played time is the time the clock ran: pauses and extensions do not move it.
    Rows of earlier phases that were never fired are not due: the phase they belonged to has passed.
    """
    clock, phase = state.clock, state.phase
    if state.ended or phase is None or not clock.running:
        return []
    played = clock.played_at(now) / 60
    return [(r, played - (r.minute or 0)) for r in state.injects.rows
            if r.status == PENDING and r.scheduled and r.phase in (None, phase.id) and played >= (r.minute or 0)]


@decides(FireDueInjects)
def _fire_due(out: Outcome, cmd: FireDueInjects) -> None:
    control(out.actor)
    fire_due(out)


def fire_due(out: Outcome, act: bool = True) -> None:
    """Fire (or, in "ask me" mode, flag) the rows due at ``out.now``: the schedule's work, and what a change
    of phase does first, so a row due in the phase that ends is not lost between two ticks. ``act``: the
    firing is the command's own act (the schedule's); false: a consequence of another act (the change of
    phase), recorded without an actor so that nobody learns who acted from an event they may see of an act
    they may not (see ``core.Event``)."""
    for row, past in due(out.state, out.now):
        current = out.state.injects.row(row.id)
        if current.status != PENDING:
            continue
        if out.state.injects.automatic:
            _fire(out, current, None, current.title, current.text, edited=False,
                  late=int(past) if past >= LATE_AFTER else None, act=act)
        elif not current.due:
            (out.act if act else out.consequence)(InjectDue(row.id, row.number, row.title), EVENT_LIST)


# ---- evolvers ------------------------------------------------------------------------------------------


def _with_row(state, row: Row):
    """The state with ``row`` in place of the row of its id, or added at the end of the list."""
    rows = state.injects.rows
    ids = list(map(_ROW_ID, rows))  # at C speed: the list grows with every ad hoc inject
    count = ids.count(row.id)
    if count == 0:
        rows += (row,)
    elif count == 1:
        at = ids.index(row.id)
        rows = rows[:at] + (row,) + rows[at + 1:]
    else:
        rows = tuple(row if r.id == row.id else r for r in rows)
    return replace(state, injects=replace(state.injects, rows=rows))


@evolves(InjectFired)
def _fired(state, e: InjectFired, event):
    fired = FiredInject(e.row, e.title, event.seq or 0, e.to, event.audience, e.delivery, e.sender)
    state = replace(state, injects=replace(state.injects, fired=state.injects.fired + (fired,)))
    row = state.injects.row(e.row) if e.row else None
    if row is None:
        return state
    return _with_row(state, replace(row, status=FIRED, due=False, fired_seq=event.seq, fired_to=e.to, late=e.late))


@evolves(InjectAdded, InjectEdited)
def _added(state, e, event):
    return _with_row(state, e.row)


@evolves(InjectDelayed)
def _delayed(state, e: InjectDelayed, event):
    return _with_row(state, replace(state.injects.row(e.inject), minute=e.minute, due=False))


@evolves(InjectSkipped)
def _skipped(state, e: InjectSkipped, event):
    return _with_row(state, replace(state.injects.row(e.inject), status=SKIPPED if e.skipped else PENDING, due=False))


@evolves(InjectMoved)
def _moved(state, e: InjectMoved, event):
    rows = [r for r in state.injects.rows if r.id != e.inject]
    moving = state.injects.row(e.inject)
    at = next((i for i, r in enumerate(rows) if r.id == e.before), len(rows))
    rows.insert(at, moving)
    return replace(state, injects=replace(state.injects, rows=tuple(rows)))


@evolves(EventListImported)
def _imported(state, e: EventListImported, event):
    flagged = {r.id for r in state.injects.rows if r.status == PENDING and r.due}
    by_id = {r.id: r for r in state.injects.rows if r.status != PENDING}
    by_id.update({r.id: replace(r, due=r.id in flagged) for r in e.rows})  # a due flag survives the import
    return replace(state, injects=replace(state.injects, rows=tuple(by_id[i] for i in e.order)))


@evolves(FiringSet)
def _firing_set(state, e: FiringSet, event):
    return replace(state, injects=replace(state.injects, automatic=e.automatic))


@evolves(InjectDue)
def _due(state, e: InjectDue, event):
    return _with_row(state, replace(state.injects.row(e.inject), due=True))


# ---- view --------------------------------------------------------------------------------------------


@view("injects_fired", reads=("injects",), key="seq")
def _injects_fired(state, viewer) -> list[dict]:
    """The injects ``viewer`` was told of (never the controller's note nor the expected action)."""
    return entries(state.injects.fired, lambda f: {
        "inject": f.inject, "title": f.title, "seq": f.seq, "to": list(f.to) if f.to else None, "delivery": f.delivery,
        "sender": f.sender} if sees(viewer, f.audience) else None)


def row_view(r: Row) -> dict:
    return {"id": r.id, "number": r.number, "title": r.title, "text": r.text, "kind": r.kind, "sender": r.sender,
            "audience": r.audience if isinstance(r.audience, str) else list(r.audience), "delivery": r.delivery,
            "phase": r.phase, "minute": r.minute, "effects": effects_view(r.effects, beliefs=True),
            "expected_action": r.expected_action, "controller_note": r.controller_note,
            "scenario_date": r.scenario_date, "historical": r.historical, "sources": list(r.sources),
            "inject": r.inject, "status": r.status, "due": r.due, "fired_seq": r.fired_seq,
            "fired_to": list(r.fired_to) if r.fired_to else None, "late": r.late}


@view("event_list", reads=("injects",), key="id")
def _event_list(state, viewer) -> list[dict] | None:
    """Exercise control's event list, in order: every row with its plan, its status and its notes."""
    if not sees(viewer, EVENT_LIST):
        return None
    return entries(state.injects.rows, row_view)


@view("firing", reads=("injects",))
def _firing(state, viewer) -> dict | None:
    """Whether the server fires due rows itself (``automatic``) or flags them for the umpire."""
    if not sees(viewer, EVENT_LIST):
        return None
    return {"automatic": state.injects.automatic}
