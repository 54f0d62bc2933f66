"""Replay: the exercise as one perspective saw it at any seq, computed on the server through the same visibility
boundary as live play, and only for the perspectives the asker may take."""

from __future__ import annotations

import pytest

from .realtime_helpers import http, table  # noqa: F401
from .test_realtime import PRIVATE_CARD_TITLES, private_traffic

NOT_COMPARED = ("you", "last_seq")  # the connection's own identity, and the seq a sync started from


def replayed(t, token: str, key: str, seq: int | None = None, after: int | None = None, **more):
    query = f"?as={key}" + (f"&seq={seq}" if seq is not None else "") + (f"&after={after}" if after is not None else "")
    query += "".join(f"&{k}={v}" for k, v in more.items())
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


def timeline(t, token: str, key: str):
    return http(t.base, "GET", f"/api/exercises/{t.id}/replay/timeline?as={key}", token=token)


def test_bookmarks_and_notes_reach_only_their_audience_in_replay_and_timeline(table):
    """A shared bookmark is everyone's; a kept one and a note stay with exercise control, in every replay."""
    t = table
    private_traffic(t)
    umpire, ua = t.umpire, t["ukraine"]
    moment = ua.events[-1]["seq"]
    umpire.ok("add_bookmark", at=moment, label="Everyone look here", shared=True)
    umpire.ok("add_bookmark", at=moment, label="Control only mark")
    umpire.ok("add_note", at=moment, text="Umpire-only note: Russia bluffed")
    umpire.refused("add_note", "invalid", at=10 ** 6, text="too far")
    ua.refused("add_bookmark", "forbidden", at=moment, label="mine")
    umpire.ok("end_exercise")
    umpire.ok("add_note", at=moment, text="Written during the debrief")  # allowed after the end
    umpire_token, ua_token = t.created["umpire"]["token"], ua.token
    for key in ("d:ukraine", "public", "observers", "d:russia"):
        body = repr(replayed(t, umpire_token, key, history=500).body) + repr(timeline(t, umpire_token, key).body)
        assert "Everyone look here" in body, key
        assert "Control only mark" not in body and "Russia bluffed" not in body and "debrief" not in body, key
    full = repr(timeline(t, umpire_token, "umpire").body)
    assert "Control only mark" in full and "Russia bluffed" in full and "Written during the debrief" in full
    marks = [m for m in timeline(t, ua_token, "d:ukraine").body["moments"] if m["kind"] == "bookmark"]
    assert [m["title"] for m in marks] == ["Everyone look here"] and marks[0]["seq"] == moment
    removed = next(b["id"] for b in umpire.state["bookmarks"] if b["text"] == "Everyone look here")
    umpire.ok("remove_bookmark", bookmark=removed)
    assert "Everyone look here" not in repr(timeline(t, ua_token, "d:ukraine").body)


def test_the_timeline_steps_and_charts_only_what_the_perspective_was_told(table):
    t = table
    private_traffic(t)
    ua = t["ukraine"]
    body = timeline(t, ua.token, "d:ukraine").body
    assert body["steps"]["seq"] == [e["seq"] for e in ua.events if e["seq"] <= body["last_seq"]]
    assert len(body["steps"]["played"]) == len(body["steps"]["seq"])
    kinds = {m["kind"] for m in body["moments"]}
    assert {"phase", "signal", "agreement", "inject"} <= kinds
    ids = {s["id"] for s in body["series"]}
    assert any(i.startswith("indicator:") for i in ids)
    assert all("ukraine" in i for i in ids if i.startswith(("trust:", "readiness:")))  # only its own pairs
    public = timeline(t, ua.token, "public").body
    assert not any(s["kind"] in ("trust", "readiness") for s in public["series"])
    assert not any(title in repr(public) for title in PRIVATE_CARD_TITLES)
    # Stepping moves to the next and previous event the perspective was told of.
    seqs = body["steps"]["seq"]
    nxt = replayed(t, ua.token, "d:ukraine", seq=seqs[3] + 0, step=1).body
    assert nxt["seq"] == seqs[4]
    back = replayed(t, ua.token, "d:ukraine", seq=seqs[4], step=-1).body
    assert back["seq"] == seqs[3]
    # The chat as it stood: the last messages it was told of up to that seq, oldest first.
    at = seqs[-1]
    chat = replayed(t, ua.token, "d:ukraine", seq=at, history=3, channel="delegation:ukraine").body
    assert [e["data"]["text"] for e in chat["history"]] == [
        e["data"]["text"] for e in ua.events if e["type"] == "message_posted"
        and e["data"]["channel"] == "delegation:ukraine"][-3:]
    # Every indicator's chart ends at the value the perspective holds now.
    now = {i["id"]: i["value"] for i in replayed(t, ua.token, "d:ukraine").body["state"]["indicators"]}
    for series in body["series"]:
        if series["kind"] == "indicator":
            assert series["points"][-1][1] == now[series["id"].split(":", 1)[1]]
