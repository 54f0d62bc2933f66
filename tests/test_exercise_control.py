"""Exercise control against a live server, with real Socket.IO clients: links re-issued, participants moved
and removed, staff seats and what an assistant may not do, the umpire playing an unplayed delegation, closed
tables, the controller's note on no player's path, archive and delete."""

from __future__ import annotations

import socketio
import pytest

from facilitator.engine import COMMANDS

from .realtime_helpers import TIMEOUT, Player, http, join, table  # noqa: F401

NOTE = "controllers only: watch Ukraine's reaction"


def seat(t, name: str, role: str) -> tuple[str, str]:
    reply = http(t.base, "POST", f"/api/exercises/{t.id}/staff", {"name": name, "role": role}, t.created["umpire"]["token"])
    assert reply.status == 201, reply.body
    assert reply.body["url"].endswith(f"/umpire#token={reply.body['token']}")
    return reply.body["staff"], reply.body["token"]


def participant_of(t, delegation: str) -> str:
    return next(p["participant"] for p in t.umpire.state["presence"] if p["delegation"] == delegation)


def refused_connect(base: str, auth: dict) -> dict:
    """The reason (``{code, message, fields}``) the server gives for refusing a connection with ``auth``."""
    player = Player(base, "unused", "delegation")
    with pytest.raises(socketio.exceptions.ConnectionError):
        player.connect(auth=auth)
    player.wait_for(lambda p: p.refusals, what="the refusal")
    return player.refusals[0]["data"]


def test_a_reissued_personal_link_works_on_a_new_device_and_the_old_one_does_not(table):
    t = table
    olena = t["ukraine"]
    pid = participant_of(t, "ukraine")
    reply = http(t.base, "POST", f"/api/exercises/{t.id}/links", {"kind": "participant", "target": pid},
                 t.created["umpire"]["token"])
    assert reply.status == 200 and reply.body["url"].endswith(f"/play#exercise={t.id}&token={reply.body['secret']}")
    assert http(t.base, "GET", "/api/whoami", token=olena.token).status == 401
    olena.wait_for(lambda p: not p.connected, what="the old device disconnected")
    assert refused_connect(t.base, {"token": olena.token})["code"] == "bad_token"
    new_device = Player(t.base, reply.body["secret"], "delegation", "ukraine", "olena-phone").connect(0)
    assert new_device.sync["state"]["you"]["name"] == "Olena"  # the same seat, the same name
    assert new_device.ok("post_message", channel="plenary", text="from my phone")
    new_device.close()
    assert [e["data"]["name"] for e in t.umpire.of_type("link_reissued")] == ["Olena's personal link"]
    assert not t["russia"].of_type("link_reissued")


@pytest.mark.parametrize("kind,target,opens", [("umpire", None, "/umpire#token="), ("observer", None, "/observe#code="),
                                                ("delegation", "russia", "/join#code=")])
def test_every_link_of_any_exercise_can_be_reissued(table, kind, target, opens):
    t = table
    old = {"umpire": t.created["umpire"]["token"], "observer": t.created["observer"]["code"],
           "delegation": t.created["codes"]["russia"]}[kind]
    reply = http(t.base, "POST", f"/api/exercises/{t.id}/links", {"kind": kind, "target": target}, old if kind == "umpire"
                 else t.created["umpire"]["token"])
    assert reply.status == 200 and opens in reply.body["url"]
    if kind == "delegation":
        assert http(t.base, "POST", "/api/join", {"code": old, "name": "Late"}).status == 404
        assert join(t.base, reply.body["secret"], "Late")["delegation"] == "russia"
    else:
        assert http(t.base, "GET", "/api/whoami", token=old).status == 401
        assert http(t.base, "GET", "/api/whoami", token=reply.body["secret"]).status == 200
        holder = t.umpire if kind == "umpire" else t.observer
        holder.wait_for(lambda p: not p.connected, what="whoever held the old secret let go")
        assert refused_connect(t.base, {"token": old})["code"] == "bad_token"
        assert t["ukraine"].connected  # nobody else


def test_a_moved_participant_comes_back_in_the_new_delegation_and_a_removed_one_is_locked_out(table):
    t = table
    sergei = t["russia"]
    pid = participant_of(t, "russia")
    reply = http(t.base, "POST", f"/api/exercises/{t.id}/participants/{pid}", {"delegation": "turkey"},
                 t.created["umpire"]["token"])
    assert reply.status == 200
    sergei.wait_for(lambda p: not p.connected, what="disconnect")
    sergei.delegation = "turkey"
    sergei.connect(0)
    assert sergei.sync["state"]["you"]["delegation"] == "turkey"
    assert "private_brief" in next(d for d in sergei.sync["state"]["delegations"] if d["id"] == "turkey")
    assert "private_brief" not in next(d for d in sergei.sync["state"]["delegations"] if d["id"] == "russia")
    reply = http(t.base, "DELETE", f"/api/exercises/{t.id}/participants/{pid}", token=t.created["umpire"]["token"])
    assert reply.status == 200
    sergei.wait_for(lambda p: not p.connected, what="disconnect")
    assert refused_connect(t.base, {"token": sergei.token}).get("code") == "bad_token"
    assert http(t.base, "GET", "/api/whoami", token=sergei.token).status == 401


def test_a_closed_table_refuses_posts_live(table):
    t = table
    t.umpire.ok("advance_phase")
    t.umpire.ok("advance_phase")  # the corridor table opens
    t["ukraine"].ok("post_message", channel="table:corridor", text="before")
    t.umpire.ok("set_channel_open", channel="table:corridor", open=False, reason="cooling off")
    error = t["ukraine"].refused("post_message", "closed", channel="table:corridor", text="during")
    assert "closed" in error["message"]
    t.umpire.ok("set_channel_open", channel="table:corridor", open=True)
    t["ukraine"].ok("post_message", channel="table:corridor", text="after")


def test_the_umpire_plays_a_delegation_nobody_plays_attributed_to_the_umpire(table):
    t = table
    umpire_token = t.created["umpire"]["token"]
    un = Player(t.base, umpire_token, "delegation", "un", "umpire-as-un").connect(0, auth={"token": umpire_token,
                                                                                         "as": "un"})
    state = un.sync["state"]
    assert state["you"]["delegation"] == "un" and "presence" not in state  # the delegation's view, not control's
    un.ok("post_message", channel="plenary", text="The UN speaks")
    posted = t["ukraine"].wait_event("message_posted", text="The UN speaks")
    assert posted["data"]["author"] == "Umpire for United Nations" and posted["actor"]["participant"] == "umpire"
    un.close()
    assert refused_connect(t.base, {"token": umpire_token, "as": "ukraine"})["code"] == "forbidden"  # it has players
    assert refused_connect(t.base, {"token": t["russia"].token, "as": "un"})["code"] == "forbidden"
    assert refused_connect(t.base, {"token": umpire_token, "as": "atlantis"})["code"] == "not_found"


def test_staff_seats_act_under_their_names(table):
    t = table
    _, token = seat(t, "Sam", "assistant")
    sam = Player(t.base, token, "umpire", label="sam").connect(0)
    assert "event_list" in sam.sync["state"] and sam.sync["state"]["you"]["name"] == "Sam (assistant)"
    sam.ok("fire_inject", title="Flash", text="The lights go out.")
    fired = t["ukraine"].wait_event("inject_fired", title="Flash")
    assert fired["actor"]["name"] == "Sam (assistant)" and fired["actor"]["role"] == "assistant"
    assert http(t.base, "POST", f"/api/exercises/{t.id}/staff", {"name": "Sam", "role": "umpire"},
                t.created["umpire"]["token"]).status == 409
    sam.close()


# Every command exercise control sends, with who may send it: the umpire, an assistant, a member, an observer.
CONTROL_COMMANDS = {
    "advance_phase": {}, "pause_clock": {}, "resume_clock": {}, "extend_clock": {"minutes": 5},
    "give_back_time": {},
    "fire_inject": {"inject": "deal-signed-history"}, "add_inject": {"inject": {"title": "T", "text": "x"}},
    "edit_inject": {"inject": "deal-signed-history", "row": {"title": "T", "text": "x"}},
    "delay_inject": {"inject": "deal-signed-history", "minutes": 5}, "skip_inject": {"inject": "deal-signed-history"},
    "move_inject": {"inject": "deal-signed-history"}, "import_event_list": {"rows": []},
    "set_firing": {"automatic": False}, "adjust_indicator": {"indicator": "tension", "delta": 1, "reason": "r"},
    "adjust_relation": {"between": ["ukraine", "russia"], "trust": 1, "reason": "r"},
    "adjust_belief": {"holder": "ukraine", "about": "russia", "by": 5},
    "publish_poll": {"indicator": "ua-support", "margin": 5},
    "draw_ceasefire_risk": {}, "set_risk_override": {"rule": "x"}, "adjudicate_move": {"move": 1, "ruling": "approved"},
    "announce": {"text": "hello"}, "set_channel_open": {"channel": "plenary", "open": False},
    "set_backchannel_policy": {"policy": "closed"}, "answer_backchannel_request": {"request": 1, "approve": True},
    "mute_participant": {"participant": "nobody"}, "add_bookmark": {"at": 1, "label": "here"},
    "add_note": {"at": 1, "text": "a note"}, "remove_bookmark": {"bookmark": "b1"},
    "reveal_debrief": {"delegation": "all"}, "show_debrief_question": {"index": 0}, "end_exercise": {},
    "allow_late_joins": {"allowed": True},
}
CHIEF_ONLY = {"end_exercise", "allow_late_joins"}


def test_control_commands_are_refused_to_members_and_observers_and_assistants_where_they_should_be(table):
    """The table: who may send each of exercise control's commands (and the REST powers of the umpire alone)."""
    t = table
    assert set(CONTROL_COMMANDS) | {"post_message"} >= {n for n, c in COMMANDS.items() if c.CLIENT} - {
        "post_message", "open_backchannel", "play_signal", "withdraw_signal", "draft_proposal", "amend_proposal",
        "sign_proposal", "withdraw_proposal", "submit_move"}, "a client command missing from the table"
    _, token = seat(t, "Sam", "assistant")
    sam = Player(t.base, token, "umpire", label="sam").connect(0)
    for name, fields in CONTROL_COMMANDS.items():
        for player in (t["ukraine"], t.observer):
            reply = player.command(name, **fields)
            assert not reply["ok"] and reply["error"]["code"] == "forbidden", (name, player, reply)
        reply = sam.command(name, **fields)
        if name in CHIEF_ONLY:
            assert reply["error"]["code"] == "forbidden" and "assistant" in reply["error"]["message"], (name, reply)
        else:
            assert reply["ok"] or reply["error"]["code"] != "forbidden", (name, reply)
    pid = participant_of(t, "ukraine")
    for method, path, body in [("POST", "staff", {"name": "Kim", "role": "assistant"}),
                               ("POST", "links", {"kind": "umpire"}), ("POST", "archive", None),
                               ("DELETE", "", None)]:
        url = f"/api/exercises/{t.id}/{path}".rstrip("/")
        assert http(t.base, method, url, body, token).status == 403, (method, path)  # the assistant
        assert http(t.base, method, url, body, t["ukraine"].token).status == 403
    assert http(t.base, "DELETE", f"/api/exercises/{t.id}/participants/{pid}", token=t.observer.token).status == 403
    sam.close()


def test_a_controller_note_reaches_no_player_by_any_path(table):
    t = table
    t.umpire.ok("add_inject", inject={"title": "Tip", "text": "A convoy moves.", "audience": "delegations",
                                      "to": ["ukraine"], "delivery": "message", "controller_note": NOTE,
                                      "expected_action": NOTE + " (expected)"})
    row = next(r for r in t.umpire.state["event_list"] if r["title"] == "Tip")
    t.umpire.ok("fire_inject", inject=row["id"])
    t.settle()
    assert NOTE in repr(t.umpire.state)
    for player in (t["ukraine"], t["russia"], t.observer):
        seen = repr(player.received)
        seen += repr(http(t.base, "GET", f"/api/exercises/{t.id}/events", token=player.token).body)
        assert NOTE not in seen, player
        assert http(t.base, "GET", f"/api/exercises/{t.id}/event-list.csv", token=player.token).status == 403
    assert t["ukraine"].wait_event("inject_fired", title="Tip")


def test_archive_hides_an_exercise_and_delete_removes_it_with_a_record(table, exercises):
    t = table
    token = t.created["umpire"]["token"]
    assert http(t.base, "POST", f"/api/exercises/{t.id}/archive", token=token).status == 200
    assert t["ukraine"].wait_event("exercise_archived")
    assert exercises.state(t.id).ended
    assert t.id not in [e["id"] for e in exercises.list_exercises()]
    assert t.id in [e["id"] for e in exercises.list_exercises(archived=True)]
    assert http(t.base, "POST", f"/api/exercises/{t.id}/archive", token=token).status == 409
    assert http(t.base, "DELETE", f"/api/exercises/{t.id}", token=token).status == 200
    assert http(t.base, "GET", f"/api/exercises/{t.id}", token=token).status == 404
    from facilitator.persistence.models import DeletionRow
    with exercises.db.read() as session:
        [row] = session.query(DeletionRow).all()
    assert row.exercise_id == t.id and row.by == "Umpire" and row.events > 0


def test_what_a_command_line_run_appends_reaches_the_consoles_within_a_tick(table, app):
    """``facilitator exercises reissue`` and ``event-list import`` run in another process: the server finds
    their events when it follows the log, publishes them, and lets go of whoever held a re-issued secret."""
    from facilitator.engine.audience import UMPIRE_ACTOR
    from facilitator.engine.injects import ImportEventList, InjectRow
    from facilitator.services import ExerciseService

    t = table
    cli = ExerciseService(t.service.db, t.service.catalog, code_key=t.service.code_key)  # another process, on the same database
    cli.execute(t.id, ImportEventList((InjectRow("From the spreadsheet", "Imported."),)), UMPIRE_ACTOR)
    cli.reissue(t.id, "participant", participant_of(t, "russia"), UMPIRE_ACTOR)
    app.extensions["facilitator"].schedule.tick()  # the server's next second
    t.umpire.wait_event("event_list_imported")
    assert [r["title"] for r in t.umpire.state["event_list"]] == ["From the spreadsheet"]
    t["russia"].wait_for(lambda p: not p.connected, what="the old device let go")
    assert t["ukraine"].connected


def test_playing_a_delegation_stops_when_a_player_joins_it(table):
    t = table
    token = t.created["umpire"]["token"]
    un = Player(t.base, token, "delegation", "un", "umpire-as-un").connect(0, auth={"token": token, "as": "un"})
    un.ok("post_message", channel="plenary", text="Still nobody here")
    join(t.base, t.created["codes"]["un"], "Amina")
    assert "has players" in un.refused("post_message", "forbidden", channel="plenary", text="Too late")["message"]
    un.close()


def test_deleting_an_exercise_closes_its_connections(table):
    t = table
    assert http(t.base, "DELETE", f"/api/exercises/{t.id}", token=t.created["umpire"]["token"]).status == 200
    for player in t.players:
        player.wait_for(lambda p: not p.connected, what="disconnected")
    assert refused_connect(t.base, {"token": t["ukraine"].token})["code"] == "bad_token"
