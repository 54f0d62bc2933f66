"""The two servers a benchmark compares, each run in its own process.

``baseline``: bare Flask-SocketIO in threading mode on Werkzeug that only
re-broadcasts a ~320-byte event to one room (no database, no rules).
``facilitator``: the real app on a fresh SQLite file, as `facilitator serve`
runs it, with the demo exercise created.

    python -m bench.servers baseline PORT
    python -m bench.servers facilitator PORT DB_FOLDER
"""

from __future__ import annotations

import json
import os
import sys
import time

from werkzeug.serving import make_server

PAYLOAD = {"seq": 0, "type": "message_posted", "version": 1, "at": "2026-01-01T00:00:00+00:00",
           "actor": {"role": "delegation", "delegation": "ukraine", "participant": "p", "name": "Olena"},
           "audience": {"everyone": True}, "data": {"channel": "plenary", "text": "x" * 120}}


def baseline_app():
    from flask import Flask
    from flask_socketio import SocketIO, join_room

    app = Flask(__name__)
    socketio = SocketIO(app, async_mode="threading")

    @socketio.on("resume")
    def resume(_payload=None):
        join_room("all")
        return {"ok": True}

    @socketio.on("command")
    def command(payload):
        socketio.emit("event", {**PAYLOAD, "data": {**PAYLOAD["data"], "text": payload.get("text", "")}},
                      to="all")
        return {"ok": True}

    return app


def facilitator_app(folder: str):
    os.environ["FACILITATOR_INSTANCE"] = folder
    from facilitator import create_app
    from facilitator.persistence import Database
    from facilitator.persistence.migrate import upgrade

    url = f"sqlite:///{folder}/bench.sqlite3"
    db = Database(url)
    upgrade(db)
    db.dispose()
    return create_app({"DATABASE_URL": url})


def main() -> None:
    kind, port = sys.argv[1], int(sys.argv[2])
    app = baseline_app() if kind == "baseline" else facilitator_app(sys.argv[3])
    server = make_server("127.0.0.1", port, app, threaded=True)
    print(json.dumps({"ready": True, "pid": os.getpid()}), flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    time.sleep(0)


if __name__ == "__main__":
    main()
