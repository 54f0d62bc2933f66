"""What each perspective of one exercise was last told: its view, so that after each commit it is sent
only its new events and what changed in its view, computed once per perspective (not per connection).

No I/O here: the exercise service advances a feed in commit order and hands the payloads to whoever
emits them (``broadcast.py``).
"""

from __future__ import annotations

from datetime import datetime

from facilitator.engine import Actor, Event, ExerciseState, diff, moved, perspective, perspective_key, perspectives, \
    view_sections, visible_to


class Feed:
    """The view each perspective holds, as of ``seq``."""

    def __init__(self, state: ExerciseState):
        self.seq = state.seq
        self.deck = state.deck
        self.viewers = {perspective_key(p): p for p in perspectives(state.deck)}
        self.views = {key: view_sections(state, viewer) for key, viewer in self.viewers.items()}

    def advance(self, events: list[Event], state: ExerciseState) -> dict[str, dict]:
        """Move every perspective to ``state`` (reached by ``events``); returns, per perspective that has
        something new, ``{"seq", "events": [wire events it may see], "state": patch of its view}``."""
        wire = [(event, event.to_dict(self.deck)) for event in events]
        payloads = {}
        was = next(iter(self.views.values())).state
        changed = moved(was, state)  # the same sections for every perspective
        for key, viewer in self.viewers.items():
            previous = self.views[key]
            rebuilt = changed if previous.state is was else None
            sections = view_sections(state, viewer, previous, rebuilt)
            # (views of another plan of sections: every section compared)
            patch = diff(previous, sections, rebuilt if sections.plan is previous.plan else None)
            self.views[key] = sections
            seen = [data for event, data in wire if visible_to(event, viewer)]
            if seen or patch:
                payloads[key] = {"seq": state.seq, "events": seen, "state": patch}
        self.seq = state.seq
        return payloads

    def sync(self, viewer: Actor, now: datetime) -> dict:
        """The ``sync`` payload for one connection: its perspective's whole view, and who it is."""
        state = dict(self.views[perspective_key(perspective(viewer))].values)
        state["you"] = viewer.to_dict()
        state["last_seq"] = self.seq
        return {"state": state, "last_seq": self.seq, "server_time": now.isoformat()}
