"""How long the after-action report takes: for a demo exercise, and for a 10,000-event one.

Both are played on the demo deck through the exercise service (every event is one a real command made, stored
as a command stores it): the short one as a class would play the demo (about 90 events: signals, a deal, injects,
a ruling, risk draws, chat); the long one opens the talks, signals, signs a truce, then is kept busy (chat in
every kind of channel, injects, indicator and trust moves, rulings, bookmarks, risk draws at each change of
phase) over four phases until its log holds ``--events`` events.

For each, and for exercise control's perspective and one delegation's, printed: the events that perspective
was told of, the time to gather the report on a fresh server process (the log folded from the database) and
again (folded already), to write the HTML, its size, and (``--pdf``, the default) to write the PDF, its size
and pages. Times are wall-clock seconds on this machine, the median of ``--runs`` runs (the cold gathering:
its first run).

    .venv/bin/python -m bench.report [--events 10000] [--runs 3] [--no-pdf]
"""

from __future__ import annotations

import argparse
import os
import re
import statistics
import tempfile
import time
import zlib
from datetime import datetime, timedelta, timezone
from pathlib import Path

from facilitator import create_app
from facilitator.engine.audience import UMPIRE_ACTOR, Actor
from facilitator.engine.errors import RuleError
from facilitator.persistence import Database
from facilitator.persistence.migrate import upgrade
from facilitator.report import build_report, render_html, render_pdf
from facilitator.schemas.commands import load_command
from facilitator.services.replay import ReplayService


class Session:
    def __init__(self, app, title: str):
        self.exercises = app.extensions["facilitator"].exercises
        created = self.exercises.create("demo", title)
        self.id = created.id
        self.members: dict[str, list[Actor]] = {}
        for delegation, code in created.join_codes.items():
            for n in range(2):
                identity, _ = self.exercises.join(code, f"{delegation} member {n + 1}")
                self.members.setdefault(delegation, []).append(identity.actor)
        self.at = datetime.now(timezone.utc)

    def seq(self) -> int:
        return self.exercises.state(self.id).seq

    def do(self, actor, seconds: float = 20.0, **payload) -> bool:
        self.at += timedelta(seconds=seconds)
        command, _ = load_command(payload)
        try:
            self.exercises.execute(self.id, command, actor, at=self.at)
            return True
        except RuleError:
            return False

    def umpire(self, **payload) -> bool:
        return self.do(UMPIRE_ACTOR, **payload)

    def member(self, delegation: str, n: int = 0):
        return self.members[delegation][n % len(self.members[delegation])]


def play_demo(app) -> Session:
    """The demo as a class would play it in an hour."""
    s = Session(app, "A demo session")
    s.umpire(type="set_firing", automatic=False)
    s.umpire(type="advance_phase")
    s.umpire(type="fire_inject", inject="deal-signed-history")
    for d in ("ukraine", "russia", "turkey", "un"):
        s.do(s.member(d), type="post_message", channel=f"delegation:{d}", text=f"Our line, for {d}.")
    s.umpire(type="advance_phase", seconds=300)
    s.do(s.member("russia"), type="play_signal", card="ru-safe-passage", seconds=60)
    s.do(s.member("russia"), type="play_signal", card="ru-port-pause", to=["ukraine"])
    s.do(s.member("ukraine"), type="play_signal", card="ua-intel-share", to=["un"])
    s.do(s.member("ukraine"), type="play_signal", card="ua-prisoner-offer")
    s.do(s.member("turkey"), type="play_signal", card="tr-host-offer")
    s.do(s.member("un"), type="play_signal", card="un-food-appeal")
    for n in range(12):
        d = ("ukraine", "russia", "turkey", "un")[n % 4]
        s.do(s.member(d, n), type="post_message", channel="table:corridor", text=f"Point {n} on the route.")
    s.umpire(type="fire_inject", inject="odesa-strike", seconds=120)
    s.do(s.member("ukraine"), type="draft_proposal", table="corridor", title="Grain corridor",
         clauses=[{"clause_type": "safe-route", "terms": "From Odesa through the Bosporus"},
                  {"clause_type": "maritime-truce", "terms": "No strikes on the ports"},
                  {"clause_type": "joint-inspection", "terms": "In Istanbul"}])
    s.do(s.member("russia"), type="sign_proposal", proposal=1, seconds=180)
    s.do(s.member("ukraine"), type="sign_proposal", proposal=1)
    s.umpire(type="fire_inject", inject="warships-report")
    s.do(s.member("ukraine"), type="submit_move", action="Pilot the first ships through the mines",
         reasons="Our pilots know the fields")
    s.umpire(type="adjudicate_move", move=1, ruling="approved", odds=65, outcome="Two ships sail",
             indicators=[{"indicator": "grain", "delta": 5}], reason="pilots")
    s.umpire(type="advance_phase", seconds=400)
    s.umpire(type="fire_inject", inject="first-ship")
    s.umpire(type="add_bookmark", at=s.seq() - 3, label="The first ship", shared=True)
    s.umpire(type="add_note", at=s.seq() - 5, text="Ask Russia why it signed so fast.")
    s.umpire(type="advance_phase", seconds=600)
    s.umpire(type="advance_phase", seconds=400)
    return s


def play_long(app, events: int) -> Session:
    """A busy session on the demo deck until the log holds ``events`` events."""
    s = Session(app, f"A long session ({events} events)")
    delegations = list(s.members)
    channels = ["plenary", "table:corridor", "table:brokers"] + [f"delegation:{d}" for d in delegations]
    s.umpire(type="set_firing", automatic=False)
    s.umpire(type="advance_phase")
    s.umpire(type="advance_phase")
    for d, cards in (("russia", ["ru-safe-passage", "ru-export-demand"]), ("ukraine", ["ua-demining-pledge"]),
                     ("turkey", ["tr-host-offer"]), ("un", ["un-food-appeal"])):
        for card in cards:
            s.do(s.member(d), type="play_signal", card=card)
    s.do(s.member("ukraine"), type="draft_proposal", table="corridor", title="Grain corridor",
         clauses=[{"clause_type": "safe-route", "terms": "A route"}, {"clause_type": "maritime-truce", "terms": ""}])
    s.do(s.member("russia"), type="sign_proposal", proposal=1)
    s.do(s.member("ukraine"), type="sign_proposal", proposal=1)
    step, moves, seq = 0, 0, s.seq()
    phase_every = max(1, events // 3)
    while seq < events:
        step += 1
        d = delegations[step % len(delegations)]
        if seq // phase_every > (seq - 1) // phase_every and seq > phase_every // 2:
            s.umpire(type="advance_phase", seconds=0.4)  # draws the cease-fire's risks while it holds
        elif step % 60 == 0:
            s.umpire(type="adjust_indicator", indicator="escalation", delta=3 if step % 120 else -3,
                     reason="the front moves", seconds=0.4)
        elif step % 150 == 0:
            to = [] if step % 300 else [d]
            s.umpire(type="fire_inject", title=f"News {step}", text="Something happens at sea.", seconds=0.4,
                     **({"to": to} if to else {}))
        elif step % 210 == 0:
            s.umpire(type="adjust_relation", between=["russia", "ukraine"], trust=2 if step % 420 else -2,
                     reason="a phone call", seconds=0.4)
        elif step % 330 == 0:
            moves += 1
            s.do(s.member("ukraine", step), type="submit_move", action=f"Move {moves}", seconds=0.4)
            s.umpire(type="adjudicate_move", move=moves, ruling="approved", odds=50, outcome="It works, partly",
                     seconds=0.4)
        elif step % 500 == 0:
            s.umpire(type="add_bookmark", at=seq, label=f"Look at {seq}", shared=step % 1000 == 0, seconds=0.4)
        else:
            channel = channels[step % len(channels)]
            who = channel.split(":", 1)[1] if channel.startswith("delegation:") else d
            if channel == "table:brokers":
                who = ("turkey", "un")[step % 2]
            s.do(s.member(who, step), type="post_message", channel=channel,
                 text=f"Message {step}: " + "a point about the route and the ships " * 2, seconds=0.4)
        seq = s.seq()
    s.umpire(type="end_exercise", seconds=0.4)
    return s


def pages(pdf: bytes) -> int:
    found = 0
    for stream in re.finditer(rb"stream\r?\n(.*?)\r?\nendstream", pdf, re.DOTALL):
        try:
            found += len(re.findall(rb"/Type\s*/Page\b(?!s)", zlib.decompress(stream.group(1))))
        except zlib.error:
            pass
    return found + len(re.findall(rb"/Type\s*/Page\b(?!s)", pdf))


def measure(app, session: Session, key: str, runs: int, pdf: bool) -> dict:
    services = app.extensions["facilitator"]
    cold = ReplayService(services.db)  # a fresh process: nothing folded yet
    started = time.perf_counter()
    report = build_report(cold, services.exercises, session.id, UMPIRE_ACTOR, key)
    first = time.perf_counter() - started
    gather, html_times, pdf_times = [], [], []
    for _ in range(runs):
        started = time.perf_counter()
        report = build_report(cold, services.exercises, session.id, UMPIRE_ACTOR, key)
        gather.append(time.perf_counter() - started)
        started = time.perf_counter()
        html = render_html(report)
        html_times.append(time.perf_counter() - started)
    out = {"key": key, "events": report.counts["events"], "cold": first, "warm": statistics.median(gather),
           "html": statistics.median(html_times), "html_kib": len(html.encode()) / 1024, "charts": len(report.charts)}
    if pdf:
        for _ in range(max(1, runs // 3)):
            started = time.perf_counter()
            document = render_pdf(report)
            pdf_times.append(time.perf_counter() - started)
        out.update(pdf=statistics.median(pdf_times), pdf_kib=len(document) / 1024, pages=pages(document))
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--events", type=int, default=10_000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--no-pdf", dest="pdf", action="store_false")
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="bench-report-"))
    os.environ["FACILITATOR_INSTANCE"] = str(folder / "instance")
    url = f"sqlite:///{folder / 'bench.sqlite3'}"
    db = Database(url)
    upgrade(db)
    db.dispose()
    app = create_app({"DATABASE_URL": url})
    with app.app_context():
        started = time.perf_counter()
        demo = play_demo(app)
        print(f"demo exercise: {demo.seq()} events (played in {time.perf_counter() - started:.1f} s)")
        started = time.perf_counter()
        long = play_long(app, args.events)
        print(f"long exercise: {long.seq()} events (played in {time.perf_counter() - started:.1f} s)")
        render_html(build_report(app.extensions["facilitator"].replay, app.extensions["facilitator"].exercises,
                                 demo.id, UMPIRE_ACTOR, "umpire"))  # imports matplotlib and Jinja once, untimed
        print(f"\n{'exercise':<10} {'as':<10} {'events':>7} {'gather cold':>12} {'gather':>8} {'HTML':>7} "
              f"{'HTML KiB':>9} {'charts':>7}" + (f" {'PDF':>8} {'PDF KiB':>8} {'pages':>6}" if args.pdf else ""))
        for name, session in (("demo", demo), (f"{args.events // 1000}k", long)):
            for key in ("umpire", "d:ukraine"):
                m = measure(app, session, key, args.runs, args.pdf)
                line = (f"{name:<10} {key:<10} {m['events']:>7} {m['cold']:>11.2f}s {m['warm']:>7.2f}s "
                        f"{m['html']:>6.2f}s {m['html_kib']:>9.0f} {m['charts']:>7}")
                if args.pdf:
                    line += f" {m['pdf']:>7.1f}s {m['pdf_kib']:>8.0f} {m['pages']:>6}"
                print(line, flush=True)
    app.extensions["facilitator"].db.dispose()


if __name__ == "__main__":
    main()
