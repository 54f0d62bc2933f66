"""Exercise control's own business: staff seats (more umpires, and assistants), links re-issued, the umpire
playing a delegation nobody plays, archiving. Secrets themselves are the server's (``services``); the log
records who did what, for exercise control only.

Rules: only the umpire (not an assistant) seats staff, re-issues links, archives and lets people join after the
end; the umpire may act for a delegation only while nobody is seated in it. After the end a join code seats
nobody (a new member would read the delegation's private history) unless the umpire allows late joins.
"""

from __future__ import annotations


from .audience import ASSISTANT, DELEGATION, UMPIRE, UMPIRE_ACTOR, Actor, Audience
from .clock import ExerciseEnded
from .core import Description, Outcome, Ref, Text, command, decides, event, evolves, initial, names, record, view, \
    replace
from .errors import RuleError
from .guards import chief, display_name, known_delegations
from .participants import check_name_free
from .visibility import sees

CONTROL = Audience.umpire_only()
LINK_KINDS = ("umpire", "observer", "delegation", "participant", "staff")

# ---- state -----------------------------------------------------------------------------------------


@record
class StaffSeat:
    staff: str
    name: str
    role: str


@record
class Control:
    staff: tuple[StaffSeat, ...] = ()
    archived: bool = False
    late_joins: bool = False  # join codes still seat people after the end


@initial
def _initial(deck) -> dict:
    return {"control": Control()}


# ---- commands (made by the server's REST endpoints, which hold the secrets) ---------------------------------


@command("seat_staff", client=False, after_end=True)
class SeatStaff:
    staff: Ref
    name: Text
    role: Ref  # umpire or assistant


@command("reissue_link", client=False, after_end=True, after_archive=True)
class ReissueLink:
    kind: Ref  # umpire, observer, delegation (its join code), participant (their personal link), staff
    target: Ref | None = None  # the delegation, participant or staff seat


@command("archive_exercise", client=False, after_end=True, after_archive=True)
class ArchiveExercise:
    pass


@command("allow_late_joins", after_end=True)
class AllowLateJoins:
    """Whether join codes still seat new members once the exercise has ended (a debrief in teams)."""

    allowed: bool


# ---- events ------------------------------------------------------------------------------------------


@event("staff_seated")
class StaffSeated:
    staff: str
    name: str
    role: str

    def describe(self, deck) -> Description:
        return Description("people", f"{self.name} joined exercise control as {self.role}")


@event("link_reissued")
class LinkReissued:
    kind: str
    target: str | None
    name: str  # whose link, in words

    def describe(self, deck) -> Description:
        return Description("people", f"New link issued: {self.name} (the old one no longer works)")


@event("late_joins_set")
class LateJoinsSet:
    allowed: bool

    def describe(self, deck) -> Description:
        return Description("people", "Joining after the end is " + ("allowed" if self.allowed else "closed"))


@event("exercise_archived")
class ExerciseArchived:
    def describe(self, deck) -> Description:
        return Description("phase", "The exercise was archived")


# ---- rules -------------------------------------------------------------------------------------------


def staff_actor(staff_id: str, name: str, role: str) -> Actor:
    """How a staff seat acts: its role, its id and its name with the role, so every act is attributed."""
    return Actor(role, participant=staff_id, name=f"{name} ({role})")


@decides(SeatStaff)
def _seat_staff(out: Outcome, cmd: SeatStaff) -> None:
    chief(out.actor)
    if cmd.role not in (UMPIRE, ASSISTANT):
        raise RuleError("invalid", "A staff seat is an 'umpire' or an 'assistant'.", {"role": "unknown"})
    name = display_name(cmd.name)
    check_name_free(out.state, name)  # not "Umpire", not a player's name
    if any(s.name.casefold() == name.casefold() for s in out.state.control.staff):
        raise RuleError("name_taken", f"Exercise control already has someone called '{name}'.", {"name": "taken"})
    out.act(StaffSeated(cmd.staff, name, cmd.role), CONTROL)


@decides(ReissueLink)
def _reissue(out: Outcome, cmd: ReissueLink) -> None:
    state = out.state
    chief(out.actor)
    if cmd.kind not in LINK_KINDS:
        raise RuleError("invalid", f"Re-issue one of: {', '.join(LINK_KINDS)}.", {"kind": "unknown"})
    if cmd.kind in ("umpire", "observer"):
        name = {"umpire": "the umpire's link", "observer": "the observers' code"}[cmd.kind]
        target = None
    elif cmd.kind == "delegation":
        known_delegations(state, [cmd.target or ""], "target")
        target, name = cmd.target, f"{names(state.deck, [cmd.target])}'s join code"
    elif cmd.kind == "participant":
        member = state.participants.members.get(cmd.target or "")
        if member is None:
            raise RuleError("not_found", f"There is no participant '{cmd.target}'.", {"target": "unknown"})
        target, name = member.id, f"{member.name}'s personal link"
    else:
        seat = next((s for s in state.control.staff if s.staff == cmd.target), None)
        if seat is None:
            raise RuleError("not_found", f"There is no staff seat '{cmd.target}'.", {"target": "unknown"})
        target, name = seat.staff, f"{seat.name}'s link"
    out.act(LinkReissued(cmd.kind, target, name), CONTROL)


@decides(ArchiveExercise)
def _archive(out: Outcome, cmd: ArchiveExercise) -> None:
    chief(out.actor)
    if out.state.control.archived:
        raise RuleError("conflict", "The exercise is already archived.")
    if not out.state.ended:
        who = "the umpire" if out.actor.name in (None, UMPIRE_ACTOR.name) else out.actor.name
        out.act(ExerciseEnded(f"archived by {who}"), Audience.all())
    out.act(ExerciseArchived(), Audience.all())


@decides(AllowLateJoins)
def _allow_late_joins(out: Outcome, cmd: AllowLateJoins) -> None:
    chief(out.actor)
    if cmd.allowed == out.state.control.late_joins:
        raise RuleError("conflict", "Joining after the end is already " + ("allowed." if cmd.allowed else "closed."))
    out.act(LateJoinsSet(cmd.allowed), CONTROL)


def acting_for(state, actor: Actor, delegation: str) -> Actor:
    """The actor exercise control plays ``delegation`` as: a member of it, attributed to the umpire.

    ``forbidden`` unless ``actor`` is exercise control and nobody is seated in ``delegation`` (a played
    delegation is its players'); ``not_found`` for an unknown delegation."""
    if not actor.is_umpire:
        raise RuleError("forbidden", "Only exercise control may act for a delegation.")
    known_delegations(state, [delegation], "as")
    players = [p.name for p in state.participants.members.values() if p.delegation == delegation]
    if players:
        raise RuleError("forbidden", f"{names(state.deck, [delegation])} has players ({', '.join(players)}): "
                                     "the umpire acts only for a delegation nobody plays.", {"as": "played"})
    who = actor.name or "Umpire"
    return Actor(DELEGATION, delegation, actor.participant or "umpire",
                 f"{who} for {names(state.deck, [delegation])}")


# ---- evolvers and view ----------------------------------------------------------------------------------


@evolves(StaffSeated)
def _staff_seated(state, e: StaffSeated, event):
    return replace(state, control=replace(state.control, staff=state.control.staff + (StaffSeat(e.staff, e.name,
                                                                                                  e.role),)))


@evolves(ExerciseArchived)
def _archived(state, e: ExerciseArchived, event):
    return replace(state, control=replace(state.control, archived=True))


@evolves(LateJoinsSet)
def _late_joins(state, e: LateJoinsSet, event):
    return replace(state, control=replace(state.control, late_joins=e.allowed))


@view("joining", reads=("control",))
def _joining(state, viewer) -> dict | None:
    """Exercise control's: whether join codes seat people after the end."""
    if not sees(viewer, CONTROL):
        return None
    return {"after_end": state.control.late_joins}


@view("staff", reads=("control",), key="staff")
def _staff(state, viewer) -> list[dict] | None:
    """Exercise control's staff seats (the exercise's own umpire link is not one)."""
    if not sees(viewer, CONTROL):
        return None
    return [{"staff": s.staff, "name": s.name, "role": s.role} for s in state.control.staff]
