"""What one outgoing Socket.IO packet costs to build and encode, in this process, without sockets: python-socketio's
stock ``Packet`` against the facilitator's ``WirePacket`` (facilitator/realtime.py: JSON only, no walk for binary).

The payloads are the real service's: a demo exercise with ``--members`` participants seated (1,000 by default:
the joins take a while), the ``sync`` its first member is sent on ``resume`` (its ``members`` lists every one of
them), and the ``update`` a delegation's room is sent for one chat message to plenary. Each encode is what
Socket.IO's manager does once per emit: the packet built (``EVENT``, namespace ``/``, ``[event, payload]``) and
``encode()``d. Best of ``--repeat`` runs of ``--number`` encodes each, the two classes taking turns; both
outputs are checked to be the same text.

    .venv/bin/python -m bench.wire_encoding [--members 1000] [--number 200] [--repeat 7]
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
import timeit

from bench.servers import versions


def payloads(members: int) -> dict[str, dict]:
    """``sync`` and ``update`` as the service makes them, for a member of a demo exercise of ``members``."""
    folder = tempfile.mkdtemp(prefix="wire-encoding-")
    os.environ["FACILITATOR_INSTANCE"] = folder
    from facilitator import create_app
    from facilitator.engine import PostMessage
    from facilitator.persistence import Database
    from facilitator.persistence.migrate import upgrade

    url = f"sqlite:///{folder}/bench.sqlite3"
    db = Database(url)
    upgrade(db)
    db.dispose()
    exercises = create_app({"DATABASE_URL": url}).extensions["facilitator"].exercises
    created = exercises.create("demo")
    codes = list(created.join_codes.values())
    seated = [exercises.join(codes[i % len(codes)], f"Member {i}")[0] for i in range(members)]
    got: dict[str, dict] = {}
    exercises.attach(seated[0], None, lambda sync, history: got.setdefault("sync", sync), lambda batch: None)
    exercises.subscribe(lambda exercise_id, rooms: got.setdefault("update", rooms[f"d:{seated[0].actor.delegation}"]))
    exercises.execute(created.id, PostMessage("plenary", "We can accept a corridor if inspections are joint."),
                      seated[1].actor, None, "bench-update", seated[1].actor.participant)
    return got


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--members", type=int, default=1000, help="participants seated in the exercise")
    parser.add_argument("--number", type=int, default=200, help="encodes per run")
    parser.add_argument("--repeat", type=int, default=7, help="runs (the best is reported)")
    args = parser.parse_args()
    from socketio import packet

    from facilitator.realtime import WirePacket

    print(versions(), flush=True)
    began = time.perf_counter()
    made = payloads(args.members)
    print(f"payloads from the service ({args.members} members seated) in {time.perf_counter() - began:.1f} s\n")
    print(f"{'payload':<8} {'bytes':>7} {'stock µs':>9} {'walk µs':>8} {'WirePacket µs':>13} {'ratio':>6}")
    for event, payload in made.items():
        data = [event, payload]

        def stock(data=data):
            return packet.Packet(packet.EVENT, data=data, namespace="/").encode()

        def wire(data=data):
            return WirePacket(packet.EVENT, data=data, namespace="/").encode()

        def walk(data=data):
            return packet.Packet.data_is_binary(data)

        text = wire()
        assert text == stock(), f"{event}: the two encodings differ"
        number = max(1, args.number if len(text) > 10_000 else args.number * 50)
        best = {"stock": float("inf"), "walk": float("inf"), "wire": float("inf")}
        for _ in range(args.repeat):  # in turns, so a busy moment of the machine falls on both
            for name, run in (("stock", stock), ("walk", walk), ("wire", wire)):
                best[name] = min(best[name], timeit.timeit(run, number=number) / number * 1e6)
        print(f"{event:<8} {len(text.encode()):>7} {best['stock']:>9.1f} {best['walk']:>8.1f} {best['wire']:>13.1f} "
              f"{best['stock'] / best['wire']:>5.2f}x", flush=True)
    print("\nstock: Packet(EVENT, data, '/').encode() as python-socketio builds it (its data_is_binary walk, then "
          "json.dumps); walk: data_is_binary alone; ratio: stock / WirePacket.")


if __name__ == "__main__":
    main()
