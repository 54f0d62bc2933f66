"""Replay: the exercise as one perspective saw it at any seq, computed on the server through the same visibility
boundary as live play, and only for the perspectives the asker may take."""

from __future__ import annotations

import pytest

from .realtime_helpers import http, table  # noqa: F401
from .test_realtime import PRIVATE_CARD_TITLES, private_traffic

NOT_COMPARED = ("you", "last_seq")  # the connection's own identity, and the seq a sync started from


def replayed(t, token: str, key: str, seq: int | None = None, after: int | None = None):
    query = f"?as={key}" + (f"&seq={seq}" if seq is not None else "") + (f"&after={after}" if after is not None else "")
    return http(t.base, "GET", f"/api/exercises/{t.id}/replay{query}", token=token)


def test_a_replay_at_every_seq_equals_what_each_perspective_held_live(table):
    """Every player kept its state after each live update; the replay of its perspective at that seq is the same."""
    t = table
    for player in t.players:
        player.keep_states = True
    private_traffic(t)
    umpire_token = t.created["umpire"]["token"]
    compared = 0
    for player, key in [(t.umpire, "umpire"), (t["ukraine"], "d:ukraine"), (t["russia"], "d:russia"),
                        (t["turkey"], "d:turkey"), (t.observer, "observers")]:
        assert player.states, player
        for seq, live in player.states.items():
            reply = replayed(t, umpire_token, key, seq)
            assert reply.status == 200, reply.body
            got = {k: v for k, v in reply.body["state"].items() if k not in NOT_COMPARED}
            assert got == {k: v for k, v in live.items() if k not in NOT_COMPARED}, (key, seq)
            compared += 1
    assert compared > 50


def test_each_may_replay_only_the_perspectives_their_role_allows(table):
    t = table
    private_traffic(t)
    ua, observer = t["ukraine"].token, t.observer.token
    assert replayed(t, ua, "d:ukraine").status == 200 and replayed(t, ua, "public").status == 200
    assert replayed(t, ua, "d:russia").status == 403 and replayed(t, ua, "umpire").status == 403
    assert replayed(t, observer, "public").status == 200 and replayed(t, observer, "observers").status == 403
    assert replayed(t, ua, "d:atlantis").status == 400
    assert replayed(t, ua, "public", seq=10 ** 6).status == 400
    public = replayed(t, ua, "public", after=0).body
    assert all(e["audience"] == {"everyone": True} for e in public["events"])
    seen = repr(public)
    assert not any(title in seen for title in PRIVATE_CARD_TITLES)
    assert "presence" not in public["state"] and "event_list" not in public["state"]
    own = replayed(t, ua, "d:ukraine", after=0).body
    assert [e["seq"] for e in own["events"]] == [e["seq"] for e in t["ukraine"].events if e["seq"] <= own["seq"]]
    other = http(t.base, "POST", "/api/exercises", {"deck": "demo"}).body
    assert http(t.base, "GET", f"/api/exercises/{other['id']}/replay?as=public", token=ua).status == 403
