"""py-spy around a benchmark's measured phase, and a text summary of where the samples fall.

``Recorder(pid, path)`` starts ``py-spy record --format raw`` (collapsed stacks: one line per distinct stack,
``frame;frame;… count``) on a server process; ``stop()`` ends it with SIGINT, which makes py-spy write the file.
``summary(path)`` prints the functions that hold the most samples, on their own (``self``) and with what they
call (``total``), and the share of the samples spent under a few named parts of the stack.

    .venv/bin/python -m bench.profile FILE.txt [--top 25]

py-spy pauses the process for each sample (100 a second): a profiled run is slower; its figures are not the
benchmark's.
"""

from __future__ import annotations

import argparse
import re
import shutil
import signal
import subprocess
import sys
from collections import Counter
from pathlib import Path

FRAME = re.compile(r"^(?P<function>.*?) \((?P<file>[^()]*?)(?::(?P<line>\d+))?\)$")
RATE = 100


def py_spy() -> str | None:
    here = Path(sys.executable).parent / "py-spy"
    return str(here) if here.exists() else shutil.which("py-spy")


class Recorder:
    def __init__(self, pid: int, path: Path, idle: bool = False):
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        program = py_spy()
        if program is None:
            raise RuntimeError("py-spy is not installed (pip install py-spy in the venv)")
        argv = [program, "record", "--format", "raw", "--rate", str(RATE), "--output", str(self.path),
                "--pid", str(pid), "--nolineno", "--nonblocking"]
        if idle:
            argv.append("--idle")
        self.proc = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)

    def stop(self) -> Path | None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGINT)
        try:
            _, err = self.proc.communicate(timeout=60)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            _, err = self.proc.communicate()
        if not self.path.exists():
            print(f"  [py-spy wrote nothing: {err.strip()[-500:]}]", flush=True)
            return None
        return self.path


def name(frame: str) -> str:
    """``function (package/module.py)`` without the line."""
    m = FRAME.match(frame.strip())
    if not m:
        return frame.strip()
    return f"{m['function']} ({m['file']})"


def load(path: Path) -> list[tuple[list[str], int]]:
    stacks = []
    for line in Path(path).read_text(errors="replace").splitlines():
        stack, _, count = line.rpartition(" ")
        if not stack or not count.isdigit():
            continue
        frames = [name(f) for f in stack.split(";") if f]
        # py-spy's first frames name the process and the thread
        frames = [f for f in frames if not f.startswith(("process ", "thread ("))]
        stacks.append((frames, int(count)))
    return stacks


def tally(stacks) -> tuple[int, Counter, Counter]:
    total, own, under = 0, Counter(), Counter()
    for frames, count in stacks:
        total += count
        if frames:
            own[frames[-1]] += count
        for f in set(frames):
            under[f] += count
    return total, own, under


def share(stacks, pattern: str) -> float:
    """The share of samples with a frame matching ``pattern`` (a regular expression) anywhere in the stack."""
    rx = re.compile(pattern)
    total = sum(c for _, c in stacks) or 1
    return sum(c for frames, c in stacks if any(rx.search(f) for f in frames)) / total


def summary(path: Path, top: int = 20, parts: dict[str, str] | None = None) -> str:
    """Shares of the busy samples: those not idle in gevent's hub (waiting for I/O). A gevent process does
    one thing at a time: a busy sample is time the process could do nothing else, whether on the CPU or
    blocked in a call that does not yield (SQLite's commit). The threads of gevent's pool waiting for work
    (they run SQLite's commits) are idle too."""
    everything = load(path)
    stacks = [(frames, count) for frames, count in everything
              if not ((len(frames) == 1 and IDLE.match(frames[0])) or POOL_WAITING.match(frames[-1]))]
    idle = sum(c for _, c in everything) - sum(c for _, c in stacks)
    total, own, under = tally(stacks)
    if not total:
        return f"{path}: no busy samples"
    out = [f"{path}: {total} busy samples ({total / RATE:.1f} s at {RATE}/s; {idle / RATE:.1f} s idle in the hub "
           "left out); shares of the busy samples:"]
    out.append(f"  {'self %':>7}  function (file)")
    for f, c in own.most_common(top):
        out.append(f"  {100 * c / total:>6.1f}%  {f}")
    out.append(f"  {'total %':>7}  function (file), with what it calls (the server's and libraries' wrappers "
               "left out)")
    for f, c in [(f, c) for f, c in under.most_common() if not WRAPPERS.search(f)][:top]:
        out.append(f"  {100 * c / total:>6.1f}%  {f}")
    if parts:
        out.append("  share of samples under:")
        for label, pattern in parts.items():
            out.append(f"  {100 * share(stacks, pattern):>6.1f}%  {label}")
    return "\n".join(out)


# Parts of the facilitator's hot paths worth a line of their own in a summary (py-spy names a method
# ``Class.method (package/module.py)``).
FACILITATOR_PARTS = {
    "ExerciseService.execute (a command: decide, store, commit, publish)": r"^ExerciseService\.execute \(",
    "  the write transaction (ExerciseService._apply)": r"^ExerciseService\._apply \(",
    "    catching up from the log (_catch_up)": r"^ExerciseService\._catch_up \(",
    "    the engine's decision (engine.state.run)": r"^run \(facilitator/engine/state",
    "    storing the events (EventStore.append)": r"^EventStore\.append \(",
    "    the commit (sqlite3/psycopg commit: the sync to disk)": r"do_commit \(",
    "  publishing (ExerciseService._drain)": r"^ExerciseService\._drain \(",
    "    the perspectives' payloads (Feed.advance)": r"^Feed\.advance \(",
    "      view_sections": r"^view_sections \(",
    "      diff": r"^diff \(facilitator",
    "      Event.to_dict": r"^Event\.to_dict \(",
    "    the emits (Broadcaster.publish)": r"^Broadcaster\.publish \(",
    "  telling other processes (CommitBell.ring)": r"^CommitBell\.ring \(",
    "ExerciseService.mark_presence (a participant connected)": r"^ExerciseService\.mark_presence \(",
    "ExerciseService.attach (a resume: the sync)": r"^ExerciseService\.attach \(",
    "ExerciseService.identify (a token checked on connect)": r"^ExerciseService\.identify \(",
    "ExerciseService.follow (another process's commit)": r"^ExerciseService\.follow \(",
    "load_command (marshmallow: reading a command)": r"^load_command \(",
    "Socket.IO emit (any)": r"\.emit \((socketio|flask_socketio)/",
    "Packet.data_is_binary": r"data_is_binary",
    "JSON encoding (json)": r"\.(encode|iterencode) \(json/",
    "WebSocket sends (engineio writer greenlets)": r"^Socket\._websocket_handler\.<locals>\.writer \(",
    "Flask request context per event": r"^(RequestContext|AppContext)\.(push|pop) \(",
    "SQLAlchemy (anything under it)": r"sqlalchemy/",
    "waiting for the writers' lock (Database.write)": r"^Database\.write \(.*;.*(acquire|wait)",
}

WRAPPERS = re.compile(r"\((gunicorn|gevent|engineio|socketio|flask_socketio|flask|werkzeug|simple_websocket)/|"
                      r"\(contextlib\.py\)|\(threading\.py\)|\(socketserver\.py\)|^_CappedWebSocket\.|"
                      r"^ExerciseNamespace\.on_|^_EndWebSockets\.")
IDLE = re.compile(r"^Hub\.run \(gevent/hub\.py\)$")
POOL_WAITING = re.compile(r"^acquire_with_timeout \(gevent/_threading\.py\)$")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("files", nargs="+")
    parser.add_argument("--top", type=int, default=20)
    args = parser.parse_args()
    for path in args.files:
        print(summary(Path(path), args.top, FACILITATOR_PARTS))
        print()


if __name__ == "__main__":
    main()
