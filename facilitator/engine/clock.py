"""Phases and the clock: the umpire opens each phase (its countdown starts), pauses, resumes and adjusts
the clock, and ends the exercise. Tables open and close with the phases (see ``state.table_open``).

A server that was down while a phase's clock ran notes it as it starts (``note_restart``, time passed in):
down longer than ``pause_after`` seconds, the clock is paused as of the moment it went down, for exercise
control to resume; down for less, the countdown has run on, and exercise control is offered the seconds it
lost back (``give_back_time``). Either way the time down is not played time (the event list's minutes)."""

from __future__ import annotations

from datetime import datetime

from .audience import Audience
from .ceasefire import draw_risks, run_epilogue
from .core import Description, Int, Outcome, command, decides, event, evolves, initial, record, view, replace
from .errors import RuleError
from .guards import chief, started, umpire
from .indicators import change_indicator, holds
from .injects import fire_due
from .visibility import sees

MAX_ADJUST = 120  # minutes, either way
PAUSE_AFTER = 30.0  # seconds the server may be down before a running clock is paused as of its going down
CONTROL = Audience.umpire_only()

# ---- state -----------------------------------------------------------------------------------------


@record
class Outage:
    """The server's last time down while this phase's clock ran, for exercise control."""

    seconds: float  # how long it was down
    paused: bool  # the clock was paused as of its going down, and has not been resumed since
    lost: float  # seconds the countdown ran while down (this outage and earlier ones) not yet given back
    seq: int  # the ``outage_noted`` event


@record
class Clock:
    phase_index: int = -1  # -1: briefing, before the first phase
    running: bool = False
    remaining: float = 0.0  # seconds left at ``since`` (running) or now (paused)
    since: datetime | None = None
    ended: bool = False
    played: float = 0.0  # seconds the phase's clock has run, at ``since`` (running) or now (paused)
    before: float = 0.0  # seconds of play in the phases before this one
    outage: Outage | None = None  # the server was down while the clock ran (until settled)

    def remaining_at(self, now: datetime) -> float:
        if not self.running or self.since is None:
            return max(0.0, self.remaining)
        return max(0.0, self.remaining - (now - self.since).total_seconds())

    def played_at(self, now: datetime) -> float:
        """Seconds of play in this phase at ``now``: the time the clock ran. Pauses and extensions do not
        move it, so an event list's "minute 15 of the phase" stays 15 minutes of play."""
        if not self.running or self.since is None:
            return self.played
        return self.played + max(0.0, (now - self.since).total_seconds())

    def exercise_played_at(self, now: datetime) -> float:
        """Seconds of play since the first phase opened, at ``now``: the played time of the whole exercise
        (replay's timeline and charts, exports)."""
        return self.before + self.played_at(now)


@initial
def _initial(deck) -> dict:
    return {"clock": Clock()}


# ---- commands ----------------------------------------------------------------------------------------


PHASE_MOVES = ("phase_advanced", "exercise_ended")
CLOCK_MOVES = PHASE_MOVES + ("clock_paused", "clock_resumed", "clock_extended", "server_restarted", "time_given_back")


@command("advance_phase", conflicts=PHASE_MOVES)
class AdvancePhase:
    """Open the first phase, or the next one (after the last: end the exercise)."""


@command("pause_clock", conflicts=CLOCK_MOVES)
class PauseClock:
    pass


@command("resume_clock", conflicts=CLOCK_MOVES)
class ResumeClock:
    pass


@command("extend_clock", conflicts=CLOCK_MOVES)
class ExtendClock:
    """Add minutes to the phase's clock (or take them off, with a negative number; never below zero)."""

    minutes: Int(-MAX_ADJUST, MAX_ADJUST)


@command("end_exercise", conflicts=("exercise_ended",))
class EndExercise:
    pass


@command("note_restart", client=False)
class NoteRestart:
    """Made by the server as it starts: it was last known up at ``down_since`` (its last heartbeat); down
    longer than ``pause_after`` seconds, a running clock is paused as of then."""

    down_since: datetime
    pause_after: float = PAUSE_AFTER


@command("give_back_time", conflicts=CLOCK_MOVES)
class GiveBackTime:
    """Give the phase's clock back the seconds it ran while the server was down (see ``NoteRestart``)."""


# ---- events ------------------------------------------------------------------------------------------


@event("phase_advanced")
class PhaseAdvanced:
    index: int
    phase: str
    name: str
    minutes: int
    brief: str
    open_tables: tuple[str, ...] | None  # None: every table

    def describe(self, deck) -> Description:
        return Description("phase", f"Phase {self.index + 1}: {self.name} ({self.minutes} min)", self.brief or None)


@event("clock_paused")
class ClockPaused:
    remaining: float  # seconds

    def describe(self, deck) -> Description:
        return Description("clock", "Clock paused")


@event("clock_resumed")
class ClockResumed:
    remaining: float  # seconds

    def describe(self, deck) -> Description:
        return Description("clock", "Clock resumed")


def _remaining_unknown(data: dict) -> dict:
    """Version 1 added the minutes to the time left when the clock last started (not to the time left now)."""
    return {**data, "remaining": None}


@event("clock_extended", version=2, upgrades={1: _remaining_unknown})
class ClockExtended:
    minutes: int  # negative: time taken off
    remaining: float | None  # seconds left once adjusted (None in old logs)

    def describe(self, deck) -> Description:
        what = "extended" if self.minutes > 0 else "shortened"
        return Description("clock", f"Clock {what} by {abs(self.minutes)} min")


def seconds_words(seconds: float) -> str:
    """12.6 -> '12.6 s', 45.0 -> '45 s', 125 -> '2 min 5 s'."""
    if seconds < 60:
        return f"{round(seconds, 1):g} s"
    minutes, rest = divmod(round(seconds), 60)
    return f"{minutes} min {rest} s" if rest else f"{minutes} min"


@event("server_restarted")
class ServerRestarted:
    """The server started again after it was down while the phase's clock ran (for everyone: the clock as it
    now stands, no times down)."""

    paused: bool  # the clock is paused as of the moment the server went down
    remaining: float  # seconds left: as of the going down when paused, now when the countdown ran on
    played: float  # seconds of play in the phase as of the going down (the time down is not played)

    def describe(self, deck) -> Description:
        return Description("clock", "The server was restarted",
                           "The clock is paused until exercise control resumes it." if self.paused else None)


@event("outage_noted")
class OutageNoted:
    """How long the server was down, and what that did to the clock (exercise control only)."""

    seconds: float  # down
    pause_after: float  # the threshold it was held to
    paused: bool
    lost: float  # seconds the countdown ran while down, to give back (with any not given back before)

    def describe(self, deck) -> Description:
        if self.paused:
            detail = "The clock was paused as of the moment it went down; resume it when the room is back."
        elif self.lost:
            detail = f"The clock ran on: {seconds_words(self.lost)} of the phase can be given back."
        else:
            detail = "The clock ran on; the phase had no time left to lose."
        return Description("clock", f"The server was down for {seconds_words(self.seconds)}", detail)


@event("time_given_back")
class TimeGivenBack:
    seconds: float  # added to the clock: what it ran while the server was down
    remaining: float  # seconds left once given back

    def describe(self, deck) -> Description:
        return Description("clock", f"Clock given back {seconds_words(self.seconds)}",
                           "the time it ran while the server was down")


@event("exercise_ended")
class ExerciseEnded:
    reason: str

    def describe(self, deck) -> Description:
        return Description("phase", "The exercise has ended", self.reason)


# ---- rules -------------------------------------------------------------------------------------------


@decides(AdvancePhase)
def _advance(out: Outcome, cmd: AdvancePhase) -> None:
    umpire(out.actor)
    fire_due(out, act=False)  # what fell due in the phase that ends, before the schedule's next tick
    if out.state.ceasefire.current is not None and out.state.phase is not None:
        draw_risks(out)
    state = out.state
    index = state.clock.phase_index + 1
    if index >= len(state.deck.phases):
        out.act(ExerciseEnded("last phase completed"), Audience.all())
        run_epilogue(out)
        return
    if state.phase is not None:
        for indicator in state.deck.indicators:  # a condition is read once, before any drift moves anything
            if indicator.per_phase and holds(state, indicator.drift_while):
                change_indicator(out, indicator.id, indicator.per_phase, "drift at the change of phase")
    phase = state.deck.phases[index]
    out.act(PhaseAdvanced(index, phase.id, phase.name, phase.minutes, phase.brief, phase.open_tables),
            Audience.all())


def _clock_running(state, running: bool) -> None:
    started(state)
    if state.clock.running != running:
        raise RuleError("conflict", "The clock is already " + ("paused." if running else "running."))


@decides(PauseClock)
def _pause(out: Outcome, cmd: PauseClock) -> None:
    umpire(out.actor)
    _clock_running(out.state, True)
    out.act(ClockPaused(round(out.state.clock.remaining_at(out.now), 3)), Audience.all())


@decides(ResumeClock)
def _resume(out: Outcome, cmd: ResumeClock) -> None:
    umpire(out.actor)
    _clock_running(out.state, False)
    out.act(ClockResumed(round(out.state.clock.remaining, 3)), Audience.all())


@decides(ExtendClock)
def _extend(out: Outcome, cmd: ExtendClock) -> None:
    umpire(out.actor)
    started(out.state)
    if not cmd.minutes or abs(cmd.minutes) > MAX_ADJUST:
        raise RuleError("invalid", f"Adjust the clock by 1 to {MAX_ADJUST} minutes, either way (not 0).",
                        {"minutes": "out of range"})
    left = out.state.clock.remaining_at(out.now)  # an expired clock has 0 left, not less
    out.act(ClockExtended(cmd.minutes, round(max(0.0, left + cmd.minutes * 60), 3)), Audience.all())


@decides(EndExercise)
def _end(out: Outcome, cmd: EndExercise) -> None:
    chief(out.actor)
    out.act(ExerciseEnded("ended by the umpire"), Audience.all())
    run_epilogue(out)


@decides(NoteRestart)
def _note_restart(out: Outcome, cmd: NoteRestart) -> None:
    """Nothing unless the phase's clock was running when the server went down (the later of its last heartbeat
    and the clock's last start): a clock that stood still lost nothing."""
    clock = out.state.clock
    if out.state.phase is None or clock.ended or not clock.running or clock.since is None:
        return
    down = max(cmd.down_since, clock.since)
    seconds = (out.now - down).total_seconds()
    if seconds <= 0:
        return
    earlier = clock.outage.lost if clock.outage else 0.0
    played = round(clock.played_at(down), 3)
    if seconds > cmd.pause_after:
        out.consequence(ServerRestarted(True, round(clock.remaining_at(down), 3), played), Audience.all())
        out.consequence(OutageNoted(round(seconds, 1), cmd.pause_after, True, earlier), CONTROL)
        return
    left = clock.remaining_at(out.now)
    lost = clock.remaining_at(down) - left  # an expired countdown loses no more
    out.consequence(ServerRestarted(False, round(left, 3), played), Audience.all())
    out.consequence(OutageNoted(round(seconds, 1), cmd.pause_after, False, round(earlier + lost, 1)), CONTROL)


@decides(GiveBackTime)
def _give_back(out: Outcome, cmd: GiveBackTime) -> None:
    umpire(out.actor)
    started(out.state)
    clock = out.state.clock
    if clock.outage is None or clock.outage.lost <= 0:
        raise RuleError("conflict", "There is no time lost while the server was down to give back.")
    lost = clock.outage.lost
    out.act(TimeGivenBack(lost, round(clock.remaining_at(out.now) + lost, 3)), Audience.all())


@evolves(PhaseAdvanced)
def _phase_advanced(state, e: PhaseAdvanced, event):
    clock = state.clock
    before = clock.exercise_played_at(event.at) if clock.phase_index >= 0 else 0.0
    return replace(state, clock=Clock(e.index, True, float(e.minutes * 60), event.at, before=before))


@evolves(ClockPaused)
def _paused(state, e: ClockPaused, event):
    clock = state.clock
    return replace(state, clock=replace(clock, running=False, remaining=float(e.remaining), since=None,
                                        played=clock.played_at(event.at)))


@evolves(ClockResumed)
def _resumed(state, e: ClockResumed, event):
    clock = state.clock
    outage = clock.outage and _settled(replace(clock.outage, paused=False))
    return replace(state, clock=replace(clock, running=True, since=event.at, outage=outage))


def _settled(outage: Outage) -> Outage | None:
    """None once nothing is left for exercise control to do about it (resumed, given back)."""
    return outage if outage.paused or outage.lost > 0 else None


@evolves(ServerRestarted)
def _restarted(state, e: ServerRestarted, event):
    clock = state.clock
    if e.paused:
        return replace(state, clock=replace(clock, running=False, remaining=float(e.remaining), since=None,
                                            played=float(e.played)))
    return replace(state, clock=replace(clock, remaining=float(e.remaining), since=event.at, played=float(e.played)))


@evolves(OutageNoted)
def _outage_noted(state, e: OutageNoted, event):
    outage = _settled(Outage(float(e.seconds), e.paused, float(e.lost), event.seq))
    return replace(state, clock=replace(state.clock, outage=outage))


@evolves(TimeGivenBack)
def _given_back(state, e: TimeGivenBack, event):
    clock = state.clock
    outage = clock.outage and _settled(replace(clock.outage, lost=0.0))
    return replace(state, clock=replace(clock, remaining=float(e.remaining), played=clock.played_at(event.at),
                                        since=event.at if clock.running else None, outage=outage))


@evolves(ClockExtended)
def _extended(state, e: ClockExtended, event):
    clock = state.clock
    if e.remaining is None:  # an old log: as it was played then
        return replace(state, clock=replace(clock, remaining=clock.remaining + e.minutes * 60))
    return replace(state, clock=replace(clock, remaining=float(e.remaining), played=clock.played_at(event.at),
                                        since=event.at if clock.running else None))


@evolves(ExerciseEnded)
def _ended(state, e: ExerciseEnded, event):
    return replace(state, clock=replace(state.clock, running=False, remaining=0.0, since=None, ended=True,
                                        played=state.clock.played_at(event.at), outage=None))


# ---- view --------------------------------------------------------------------------------------------


@view("exercise", reads=("clock", "control"))
def _exercise(state, viewer) -> dict:
    """The exercise, its phases and its clock: ``remaining`` seconds at ``at`` (while running, the client
    counts down from there on the server's time); the deck's map and learning objectives (teaching material,
    for everyone)."""
    deck, clock, phase = state.deck, state.clock, state.phase
    return {
        "id": state.exercise_id, "title": state.title or deck.title, "deck": deck.id, "deck_title": deck.title,
        "summary": deck.summary, "audience": deck.audience, "ended": clock.ended,
        "archived": state.control.archived,
        "phase": None if phase is None else {"index": clock.phase_index, "id": phase.id, "name": phase.name,
                                             "minutes": phase.minutes, "brief": phase.brief},
        "phases": [{"id": p.id, "name": p.name, "minutes": p.minutes} for p in deck.phases],
        "clock": {"running": clock.running, "remaining": round(clock.remaining, 3),
                  "played": round(clock.played, 3),
                  "at": clock.since.isoformat() if clock.running and clock.since else None},
        "readiness_ladder": list(deck.readiness_ladder),
        "map": None if deck.map is None else {"file": deck.map.file, "caption": deck.map.caption,
                                              "licence": deck.map.licence},
        "learning_objectives": [{"id": g.id, "text": g.text}
                                for g in (deck.teaching.learning_objectives if deck.teaching else ())],
    }


@view("outage", reads=("clock",))
def _outage(state, viewer) -> dict | None:
    """Exercise control's notice after the server was down while the clock ran: how long, whether the clock
    was paused (and still is), and the seconds that can be given back (``give_back_time``)."""
    outage = state.clock.outage
    if outage is None or not sees(viewer, CONTROL):
        return None
    return {"seconds": outage.seconds, "paused": outage.paused and not state.clock.running, "lost": outage.lost,
            "seq": outage.seq}
