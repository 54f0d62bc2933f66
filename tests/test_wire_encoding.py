"""The facilitator's outgoing Socket.IO packets (``realtime.WirePacket``: JSON only, no walk for binary) against
python-socketio's stock ``Packet``, through a real server and real clients on the websocket transport.

What the server emits is recorded at Socket.IO's manager (every ``sync``, every ``update``, as the broadcaster
handed them over), and compared with what each client decoded: the same, as the stock packet would have
delivered it. The text on the wire is the stock packet's, byte for byte. Non-ASCII text (Cyrillic, emoji, a
flag) arrives intact. Emitting ``bytes`` fails in the emitting code, and nothing reaches any client. Incoming
binary events are still read by the stock decoder.
"""

from __future__ import annotations

import copy
import threading

import pytest
from socketio import packet

from facilitator.broadcast import room_of
from facilitator.extensions import broadcaster, services, socketio
from facilitator.realtime import WirePacket

from .realtime_helpers import TIMEOUT, Player, Table, join

CYRILLIC = "Олена Ковальчук"
TEXT = "Коридор відкрито 🕊🇺🇦 «зерно» — ok"  # Ukrainian, an emoji, a flag (two code points), guillemets
NAME = f"{CYRILLIC} 🌻"


def stock_text(event: str, payload) -> str:
    """The packet python-socketio's stock ``Packet`` makes of one emit (as Socket.IO's manager builds it)."""
    return packet.Packet(packet.EVENT, data=[event, payload], namespace="/").encode()


def as_delivered(event: str, payload):
    """What a client decodes from the stock packet's text: the payload as it reached clients before."""
    decoded = packet.Packet(encoded_packet=stock_text(event, payload))
    assert decoded.data[0] == event
    return decoded.data[1]


class Recorder:
    """Every ``emit`` the server's Socket.IO manager is asked for: (event, payload copied at the time, to)."""

    def __init__(self, app):
        self.manager = app.extensions["socketio"].server.manager
        self.emit = self.manager.emit
        self.lock = threading.Lock()
        self.sent: list[tuple[str, object, object]] = []
        self.manager.emit = self.record

    def record(self, event, data, namespace, room=None, skip_sid=None, callback=None, to=None, **kwargs):
        with self.lock:
            self.sent.append((event, copy.deepcopy(data), to or room))
        return self.emit(event, data, namespace, room=room, skip_sid=skip_sid, callback=callback, to=to, **kwargs)

    def of(self, event: str) -> list[tuple[object, object]]:
        with self.lock:
            return [(payload, to) for e, payload, to in self.sent if e == event]


@pytest.fixture
def wired(app, live_server, exercises):
    """The demo deck's table (umpire, Ukraine, Russia, Turkey, observer) plus a Ukrainian member with a
    Cyrillic name, every emit recorded from before the first connection."""
    recorder = Recorder(app)
    table = Table(live_server.url, exercises)
    joined = join(live_server.url, table.created["codes"]["ukraine"], NAME)
    table.add(Player(live_server.url, joined["token"], "delegation", "ukraine", label="olena"))
    table.connect_all()
    yield table, recorder
    table.close()


def test_the_server_packet_class_is_the_wire_packet(app):
    server = app.extensions["socketio"].server
    assert server.packet_class is WirePacket
    assert WirePacket.json is not packet.Packet.json  # the server's JSON reader was set on its own class only


def test_sync_and_update_arrive_as_they_were_sent_byte_for_byte_as_before(wired):
    table, recorder = wired
    table.umpire.ok("advance_phase")
    olena = table.players[-1]
    seq = olena.ok("post_message", channel="plenary", text=TEXT)
    ua_seq = olena.ok("post_message", channel="delegation:ukraine", text=f"{CYRILLIC}: {TEXT}")
    for player in table.connected:
        player.wait_seq(seq)
    table["ukraine"].wait_seq(ua_seq)

    syncs, updates = recorder.of("sync"), recorder.of("update")
    assert len(syncs) == len(table.players) and len(updates) >= 4
    for event, sent in [("sync", syncs), ("update", updates)]:
        for payload, _ in sent:
            wire = WirePacket(packet.EVENT, data=[event, payload], namespace="/").encode()
            assert isinstance(wire, str) and wire == stock_text(event, payload)
            assert wire.isascii()  # non-ASCII goes as \\u escapes, as before

    for player in table.players:  # each sync, as the stock packet would have delivered it
        sent = [payload for payload, to in syncs if to == player.sio.get_sid("/")]
        assert sent and player.syncs == [as_delivered("sync", p) for p in sent], player.label
    delivered = [as_delivered("update", payload) for payload, _ in updates]
    for player in table.players:
        assert player.updates, player.label
        for update in player.updates:
            assert update in delivered, (player.label, update)

    # non-ASCII text arrives intact, in the live update and in a fresh sync
    for player in table.players:
        posted = player.wait_event("message_posted", text=TEXT)
        assert posted["data"]["text"] == TEXT and posted["data"]["author"] == NAME
    assert table["ukraine"].wait_event("message_posted", text=f"{CYRILLIC}: {TEXT}")
    late = Player(table.base, table["russia"].token, "delegation", "russia", label="late").connect(0)
    try:
        members = [m["name"] for m in late.sync["state"]["members"]]
        assert NAME in members
        assert any(e["type"] == "message_posted" and e["data"]["text"] == TEXT for e in late.events)
    finally:
        late.close()


def test_emitting_bytes_fails_loudly_and_nothing_is_sent(app, wired):
    table, _ = wired
    ua = table["ukraine"]
    before = len(ua.received)
    with app.app_context():
        viewer = services().exercises.identify(ua.token).actor
        to = room_of(table.id, viewer)
        with pytest.raises(TypeError, match="bytes"):
            socketio().emit("update", {"seq": 1, "events": [], "blob": b"\x00\xff"}, to=to, namespace="/")
        with pytest.raises(TypeError, match="bytearray"):
            broadcaster().publish(table.id, {"d:ukraine": {"seq": 1, "events": [{"data": bytearray(b"x")}]}})
        with pytest.raises(TypeError, match="bytes"):
            socketio().emit("sync", {"state": {"members": [{"name": b"Olena"}]}}, to=ua.sio.get_sid("/"),
                            namespace="/")
        with pytest.raises(ValueError, match="no binary"):
            WirePacket(packet.BINARY_EVENT, data=["update", {}], namespace="/").encode()
    seq = table.settle()  # everything sent before the barrier has arrived by now
    assert [kind for kind, _ in ua.received[before:]] == ["update"]
    assert ua.received[-1][1]["seq"] == seq and ua.connected


def test_incoming_binary_is_read_by_the_stock_decoder(wired, exercises):
    """A client may still send a binary event (a ``bytes`` in a command): it is decoded as before, refused as
    ``invalid`` (a command is JSON; once an ``internal`` failure logged with the whole payload), and the
    connection goes on."""
    table, _ = wired
    table.umpire.ok("advance_phase")
    ua = table["ukraine"]
    start = table.settle()
    ack = ua.sio.call("command", {"type": "post_message", "channel": "plenary", "text": b"\xd0\x9e"}, timeout=TIMEOUT)
    assert ack["ok"] is False and ack["error"]["code"] == "invalid" and "binary" in ack["error"]["message"], ack
    ack = ua.sio.call("resume", b"\x00", timeout=TIMEOUT)
    assert ack["ok"] is False and ack["error"]["code"] == "invalid", ack
    assert exercises.state(table.id).seq == start
    assert ua.ok("post_message", channel="plenary", text=TEXT) == start + 1
