"""python-socketio's asyncio client with a cheaper read path, for benchmarks that hold hundreds of clients in
one asyncio loop (bench/inject_fanout.py, bench/command_throughput.py).

``LeanClient`` is ``socketio.AsyncClient`` whose Engine.IO client (``LeanEngineIO``) reads each WebSocket
message without ``asyncio.wait_for`` (a task per message on Python 3.11) and hands it to Socket.IO without a
task of its own; and a Socket.IO event that the ``fast`` hook recognises from its raw text (``42[...]``) is
not decoded at all. Connecting, acks, pings and every other message go the library's way. The library's own
read loop cost about 0.1 ms of this process's CPU a message, as much as the server's cost to send it: with
1,000 clients in one loop the clients, not the server, would set the latency.
"""

from __future__ import annotations

import engineio
import engineio.base_client
import engineio.packet
import socketio


class LeanEngineIO(engineio.AsyncClient):
    """Engine.IO's asyncio client, reading without a task per message; ``fast(raw text)`` returning True
    takes a Socket.IO event before it is decoded."""

    fast = None   # (raw text) -> True when handled

    async def _read_loop_websocket(self):
        timeout = self.ping_interval + self.ping_timeout
        while self.state == "connected" and self.write_loop_task:
            try:
                message = await self.ws.receive(timeout=timeout)
            except Exception as exc:   # timed out, or the connection broke
                self.logger.info("read loop ended: %r", exc)
                await self.queue.put(None)
                break
            data = message.data
            if not isinstance(data, (str, bytes)):   # closed
                await self.queue.put(None)
                break
            if self.fast is not None and isinstance(data, str) and data.startswith("42[") and self.fast(data):
                continue
            try:
                pkt = engineio.packet.Packet(encoded_packet=data)
            except Exception:   # pragma: no cover
                await self.queue.put(None)
                break
            if pkt.packet_type == engineio.packet.MESSAGE:
                await self._trigger_event("message", pkt.data, run_async=False)
            else:
                await self._receive_packet(pkt)
        if self.write_loop_task:
            await self.write_loop_task
        if self.state == "connected":   # as the library's loop: the server went away
            await self._trigger_event("disconnect", self.reason.TRANSPORT_ERROR, run_async=False)
            try:
                engineio.base_client.connected_clients.remove(self)
            except ValueError:
                pass
            await self._reset()


class LeanClient(socketio.AsyncClient):
    def _engineio_client_class(self):
        return LeanEngineIO
