"""Who may do what: every client command and every REST endpoint that takes a token, against every role.

The tables below say, cell by cell, what happens when each role tries each thing: ``ok``, or the error
code it is refused with. Every cell is checked through the real doors (the Socket.IO ``command`` handler,
after a real connect; the REST endpoints through the Flask test client), on a fresh exercise whenever a
cell before it changed something. The command table is checked against the engine's own registry, and the
REST table against the app's URL map: a command or an endpoint added without its row fails here, naming it.

Roles (columns):

- ``umpire``: the exercise's umpire token;
- ``assistant``: a staff seat with the assistant role (``POST /staff``);
- ``member``: a member of the delegation the command is about (Turkey: it drafted the proposal, played the
  signal, submitted the move; its channel);
- ``other``: a member of another delegation (Ukraine; for proposals, Turkey, the mediator of Russia's table);
- ``observer``: the observers' code;
- ``bad_token``: a made-up token: the connection is refused (``bad_token``), so no command is ever read;
- ``elsewhere``: the umpire of another exercise: whatever it does happens in its own exercise, so the
  exercise under test is left untouched (the REST endpoints refuse it: ``forbidden``);
- ``ended``: the one who may do it (the umpire, or Turkey's member), once the exercise has ended.

The command payloads are valid for the one who may act (``member`` or ``umpire``) in the exercise as
``SETUP`` and each row's own steps leave it, so a refusal is the rule's, not the payload's.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from facilitator.engine.audience import SCHEDULE_ACTOR, UMPIRE_ACTOR
from facilitator.engine.clock import NoteRestart
from facilitator.extensions import services
from facilitator.schemas import load_command
from facilitator.schemas.commands import CLIENT_COMMANDS

from .conftest import unlimited_app


ROLES = ("umpire", "assistant", "member", "other", "observer", "bad_token", "elsewhere", "ended")

# ---- the command table ------------------------------------------------------------------------------
# Each row: who acts when it is allowed ("umpire" or "member"), the steps that prepare the exercise (run by
# the umpire, or by "member" / "other" when the step names them), the payload (a function of the exercise,
# for ids known only once it is prepared), and the expected outcome per role.
#
# Shorthands for the outcomes that repeat:
CONTROL = {"umpire": "ok", "assistant": "ok", "member": "forbidden", "other": "forbidden",
           "observer": "forbidden", "bad_token": "bad_token", "elsewhere": "elsewhere", "ended": "ended"}
CHIEF = {**CONTROL, "assistant": "forbidden"}
MEMBER = {"umpire": "forbidden", "assistant": "forbidden", "member": "ok", "other": "forbidden",
          "observer": "forbidden", "bad_token": "bad_token", "elsewhere": "elsewhere", "ended": "ended"}
DEBRIEF = {**CONTROL, "umpire": "not_ended", "assistant": "not_ended", "ended": "ok"}
AFTER_END = {**CONTROL, "ended": "ok"}

DRAFT = ("member", {"type": "draft_proposal", "table": "corridor", "title": "Open the route",
                    "clauses": [{"clause_type": "safe-route", "terms": "Through the Bosporus"}]})
# Proposals: Russia drafts at the corridor table (the route binds only when Ukraine and Russia sign); Turkey,
# its mediator ("other" here), may propose and amend a text nobody has signed, but signs and withdraws nothing.
PROPOSAL_SEATS = {"member": "russia", "other": "member"}
SUBMIT = ("member", {"type": "submit_move", "action": "Clear the mines"})
ASK = ("umpire", {"type": "set_backchannel_policy", "policy": "ask"})
OPEN = ("member", {"type": "open_backchannel", "delegations": ["un"]})
TRUCE = [("umpire", {"type": "adjust_relation", "between": ["russia", "ukraine"], "readiness": 4, "reason": "Ready"}),
         ("other", {"type": "draft_proposal", "table": "corridor", "title": "Truce at sea",
                    "clauses": [{"clause_type": "maritime-truce", "terms": "No strikes on ports"}]}),
         ("other", {"type": "sign_proposal", "proposal": 1}),
         ("russia", {"type": "sign_proposal", "proposal": 1})]
BOOKMARK = ("umpire", {"type": "add_bookmark", "at": 1, "label": "Start"})
RESTART = ("server", "the server was down for 30 s while the clock ran")


def pending(world, scheduled: bool = False) -> list[str]:
    rows = services().exercises.state(world.id).injects.rows
    return [r.id for r in rows if r.status == "pending" and (r.scheduled or not scheduled)]


COMMANDS = {
    # type: (who may, steps, payload, {role: outcome}[, {"member" or "other": the delegation seat playing it}])
    "adjust_indicator": ("umpire", [], {"indicator": "escalation", "delta": 5, "reason": "Shelling"}, CONTROL),
    "adjust_relation": ("umpire", [], {"between": ["turkey", "ukraine"], "trust": 5, "reason": "Talks"}, CONTROL),
    "adjust_belief": ("umpire", [], {"holder": "ukraine", "about": "russia", "by": 5}, CONTROL),
    "publish_poll": ("umpire", [], {"indicator": "ua-support", "margin": 5}, CONTROL),
    "draw_ceasefire_risk": ("umpire", TRUCE, {}, CONTROL),
    "set_risk_override": ("umpire", [], {"rule": "route-incident", "override": "force"}, CONTROL),
    "post_message": ("member", [], {"channel": "delegation:turkey", "text": "Our line"},
                     {**MEMBER, "umpire": "ok", "assistant": "ok", "ended": "ok"}),
    # Any delegation may ask for a back-channel (here the umpire's "ask" policy makes it a request);
    # exercise control opens one at once.
    "open_backchannel": ("member", [ASK], {"delegations": ["un", "turkey"]},
                         {**MEMBER, "umpire": "ok", "assistant": "ok", "other": "ok"}),
    "set_backchannel_policy": ("umpire", [], {"policy": "closed"}, CONTROL),
    "answer_backchannel_request": ("umpire", [ASK, OPEN], {"request": 1, "approve": True}, CONTROL),
    "fire_inject": ("umpire", [], lambda w: {"inject": pending(w)[0]}, CONTROL),
    "add_inject": ("umpire", [], {"inject": {"title": "Storm", "text": "A storm closes the straits."}}, CONTROL),
    "edit_inject": ("umpire", [], lambda w: {"inject": pending(w)[0], "row": {"title": "Storm", "text": "Wind."}},
                    CONTROL),
    "delay_inject": ("umpire", [], lambda w: {"inject": pending(w, scheduled=True)[0], "minutes": 5}, CONTROL),
    "skip_inject": ("umpire", [], lambda w: {"inject": pending(w)[0]}, CONTROL),
    "move_inject": ("umpire", [], lambda w: {"inject": pending(w)[1], "before": pending(w)[0]}, CONTROL),
    "import_event_list": ("umpire", [], {"rows": [{"title": "Storm", "text": "A storm closes the straits."}]},
                          CONTROL),
    "set_firing": ("umpire", [], {"automatic": True}, CONTROL),
    "advance_phase": ("umpire", [], {}, CONTROL),
    "pause_clock": ("umpire", [], {}, CONTROL),
    "resume_clock": ("umpire", [("umpire", {"type": "pause_clock"})], {}, CONTROL),
    "extend_clock": ("umpire", [], {"minutes": 5}, CONTROL),
    "end_exercise": ("umpire", [], {}, CHIEF),
    "give_back_time": ("umpire", [RESTART], {}, CONTROL),
    "allow_late_joins": ("umpire", [], {"allowed": True}, {**CHIEF, "ended": "ok"}),
    # A card is played from one's own hand; a free move is one's own delegation's.
    "play_signal": ("member", [], {"card": "tr-host-offer"}, {**MEMBER, "other": "not_in_hand"}),
    "withdraw_signal": ("member", [("member", {"type": "play_signal", "card": "ru-safe-passage"})], {"play": 1},
                        MEMBER, {"member": "russia"}),  # Turkey's one card cannot be withdrawn
    "draft_proposal": ("member", [], DRAFT[1], {**MEMBER, "other": "ok"}, PROPOSAL_SEATS),
    "amend_proposal": ("member", [DRAFT], {"proposal": 1, "title": "Open the route via Istanbul",
                                           "clauses": [{"clause_type": "safe-route", "terms": "Via Istanbul"}]},
                       {**MEMBER, "other": "ok"}, PROPOSAL_SEATS),
    "sign_proposal": ("member", [DRAFT], {"proposal": 1}, {**MEMBER, "other": "forbidden"}, PROPOSAL_SEATS),
    "withdraw_proposal": ("member", [DRAFT], {"proposal": 1}, {**MEMBER, "other": "forbidden"}, PROPOSAL_SEATS),
    "submit_move": ("member", [], {"action": "Clear the mines"}, {**MEMBER, "other": "ok"}),
    "adjudicate_move": ("umpire", [SUBMIT], {"move": 1, "ruling": "approved", "outcome": "Mines cleared"}, CONTROL),
    "announce": ("umpire", [], {"text": "Ten minutes left"}, AFTER_END),
    "set_channel_open": ("umpire", [], {"channel": "plenary", "open": False, "reason": "Quiet"}, CONTROL),
    "mute_participant": ("umpire", [], lambda w: {"participant": w.participants["other"], "muted": True}, CONTROL),
    "add_bookmark": ("umpire", [], {"at": 1, "label": "Start"}, AFTER_END),
    "add_note": ("umpire", [], {"at": 1, "text": "Watch the escalation"}, AFTER_END),
    "remove_bookmark": ("umpire", [BOOKMARK], lambda w: {"bookmark": next(iter(
        services().exercises.state(w.id).bookmarks))}, AFTER_END),
    "reveal_debrief": ("umpire", [], {"delegation": "turkey"}, DEBRIEF),
    "show_debrief_question": ("umpire", [], {"index": 0}, DEBRIEF),
}


# ---- the exercises ---------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def app(tmp_path_factory):
    app = unlimited_app(tmp_path_factory.mktemp("authorization"))
    with app.app_context():
        yield app
    app.extensions["facilitator"].db.dispose()


class World:
    """A fresh exercise of the demo deck in its talks phase (tables open, injects fired by hand), with a token
    per role, and another exercise whose umpire is ``elsewhere``."""

    def __init__(self, app):
        svc = services().exercises
        created, other = svc.create("demo", "Authorization"), svc.create("demo")
        self.app, self.id, self.other_id = app, created.id, other.id
        self.participants, self.tokens = {}, {"umpire": created.umpire_token, "observer": created.observer_code,
                                              "bad_token": "made-up-token", "elsewhere": other.umpire_token}
        for role, delegation, name in (("member", "turkey", "Aylin"), ("other", "ukraine", "Olena"),
                                       ("russia", "russia", "Ivan")):
            identity, self.tokens[role] = svc.join(created.join_codes[delegation], name)
            self.participants[role] = identity.actor.participant
        self.staff, self.tokens["assistant"] = svc.add_staff(created.id, "Ada", "assistant", UMPIRE_ACTOR)
        self.codes = created.join_codes
        for payload in ({"type": "set_firing", "automatic": False}, {"type": "advance_phase"},
                        {"type": "advance_phase"}):
            self.run("umpire", payload)

    def run(self, role: str, payload) -> None:
        if role == "server":  # the server noting, as it starts again, that it was down for 30 s
            at = datetime.now(UTC)
            services().exercises.execute(self.id, NoteRestart(at, 3600), SCHEDULE_ACTOR, at=at + timedelta(seconds=30))
            return
        identity = services().exercises.identify(self.tokens[role])
        command, _ = load_command(payload)
        services().exercises.execute(identity.exercise_id, command, identity.actor)

    def seq(self) -> int:
        return services().exercises.state(self.id).seq

    def command(self, role: str, payload: dict) -> str:
        """``ok``, or the code the command (or the connect) was refused with."""
        socketio = self.app.extensions["socketio"]
        client = socketio.test_client(self.app, auth={"token": self.tokens[role]})
        if not client.is_connected():
            return "bad_token"
        try:
            ack = client.emit("command", payload, callback=True)
        finally:
            client.disconnect()
        assert isinstance(ack, dict) and ("ok" in ack), ack
        return "ok" if ack["ok"] else ack["error"]["code"]


def outcome(app, world_box: list, command_type: str, role: str) -> str:
    """Play one cell of the command table; ``world_box[0]`` is the exercise, replaced once a cell changed it."""
    who, steps, payload, _, *more = COMMANDS[command_type]
    seats = more[0] if more else {}
    world = world_box[0]
    if world is None:
        world = world_box[0] = World(app)
        for step_role, step in steps:
            world.run(seats.get(step_role, step_role), step)
        if role == "ended":
            world.run("umpire", {"type": "end_exercise"})
    body = {"type": command_type, **(payload(world) if callable(payload) else payload)}
    acting = seats.get(who if role == "ended" else role, who if role == "ended" else role)
    before = world.seq()
    got = world.command(acting, body)
    if role == "elsewhere":
        assert world.seq() == before, f"{command_type} from another exercise's umpire changed this exercise"
        got = "elsewhere"
    elif got != "ok":
        assert world.seq() == before, f"refused {command_type} ({got}) by {role} changed the log"
    if got == "ok" or role == "elsewhere":
        world_box[0] = None  # changed (here or there): the next cell starts afresh
    return got


def test_every_client_command_has_its_row():
    missing = sorted(set(CLIENT_COMMANDS) - set(COMMANDS))
    assert not missing, f"commands with no row in the authorization table: {', '.join(missing)}"
    unknown = sorted(set(COMMANDS) - set(CLIENT_COMMANDS))
    assert not unknown, f"rows for commands no client may send: {', '.join(unknown)}"
    for name, (who, _, _, expected, *_) in COMMANDS.items():
        assert set(expected) == set(ROLES), f"{name}: the row must say what happens for every role"
        assert "ok" in (expected[who], expected["ended"]), f"{name}: its row shows nobody doing it"


@pytest.mark.parametrize("command_type", sorted(COMMANDS))
def test_each_role_may_do_what_its_row_says(app, command_type):
    expected = COMMANDS[command_type][3]
    world_box: list = [None]
    got = {}
    for role in ROLES:
        if role == "ended":
            world_box[0] = None  # its own exercise, ended after the row's steps
        got[role] = outcome(app, world_box, command_type, role)
    assert got == expected, "\n".join(f"{command_type} by {r}: expected {expected[r]}, got {got[r]}"
                                      for r in ROLES if got[r] != expected[r])


# ---- the REST table ----------------------------------------------------------------------------------------
# Each row: the endpoint and method, the path's tail after /api/exercises/<id> (with ``{participant}``), the
# query or body, and per role: the HTTP status and error code (or the success status).

REST_ROLES = ("umpire", "assistant", "member", "observer", "bad_token", "elsewhere", "none")
READ = {"umpire": 200, "assistant": 200, "member": 200, "observer": 200, "bad_token": (401, "bad_token"),
        "elsewhere": (403, "forbidden"), "none": (401, "bad_token")}
CONTROL_ONLY = {**READ, "member": (403, "forbidden"), "observer": (403, "forbidden")}
UMPIRE_ONLY = {**CONTROL_ONLY, "assistant": (403, "forbidden")}

REST = {
    ("api.list_events", "GET"): ("/events", {"query": {"limit": 5}}, READ),
    ("api.replay", "GET"): ("/replay", {"query": {"as": "public"}}, READ),
    # The umpire's perspective is exercise control's alone.
    ("api.replay_timeline", "GET"): ("/replay/timeline", {"query": {"as": "umpire"}},
                                     {**CONTROL_ONLY, "member": (403, "forbidden"), "observer": (403, "forbidden")}),
    ("api.exercise_report", "GET"): ("/report", {}, READ),
    ("api.export_exercise", "GET"): ("/export", {"query": {"as": "umpire"}}, CONTROL_ONLY),
    ("api.export_event_list", "GET"): ("/event-list.csv", {}, CONTROL_ONLY),
    ("api.import_event_list", "POST"): ("/event-list.csv", {"csv": "its own"}, CONTROL_ONLY),  # as exported
    ("api.seat_staff", "POST"): ("/staff", {"json": {"name": "Bea", "role": "assistant"}},
                                 {**UMPIRE_ONLY, "umpire": 201}),
    ("api.reissue_link", "POST"): ("/links", {"json": {"kind": "observer"}}, UMPIRE_ONLY),
    ("api.move_participant", "POST"): ("/participants/{participant}", {"json": {"delegation": "un"}}, CONTROL_ONLY),
    ("api.remove_participant", "DELETE"): ("/participants/{participant}", {}, CONTROL_ONLY),
    ("api.archive_exercise", "POST"): ("/archive", {}, UMPIRE_ONLY),
    ("api.delete_exercise", "DELETE"): ("", {}, UMPIRE_ONLY),
}
PUBLIC = {("api.list_scenarios", "GET"), ("api.server_info", "GET"), ("api.create_exercise", "POST"),
          ("api.exercise_summary", "GET"), ("api.join", "POST"), ("api.qr_code", "GET"), ("pages.page", "GET"),
          ("api.glossary", "GET"), ("static", "GET")}  # no token: public by design
PUBLIC |= {("print_pack.show_sheet", "GET"), ("print_pack.show_sheet", "POST")}  # a deck's print pack: its private
# sheets need the instructor key (posted, or a pass) when the server has one (tests/test_print_pack.py)
WHO_AM_I = {"umpire": "umpire", "assistant": "assistant", "member": "delegation", "observer": "observer",
            "bad_token": (401, "bad_token"), "elsewhere": "umpire", "none": (401, "bad_token")}


def test_every_endpoint_has_its_row(app):
    served = {(rule.endpoint, method) for rule in app.url_map.iter_rules()
              for method in rule.methods - {"HEAD", "OPTIONS"}}
    missing = sorted(served - set(REST) - PUBLIC - {("api.whoami", "GET")})
    assert not missing, f"endpoints with no row in the authorization table: {missing}"
    assert not set(REST) - served, f"rows for endpoints the app does not serve: {sorted(set(REST) - served)}"


def rest(app, world: World, role: str, tail: str, request: dict):
    headers = {"Authorization": f"Bearer {world.tokens[role]}"} if role != "none" else {}
    url = f"/api/exercises/{world.id}" + tail.format(participant=world.participants["russia"])
    method = request["method"]
    http = app.test_client()
    if "csv" in request:
        with http.get(url, headers={"Authorization": f"Bearer {world.tokens['umpire']}"}) as exported:
            data = exported.get_data()
        response = http.open(url, method=method, headers=headers, data=data, content_type="text/csv")
    else:
        response = http.open(url, method=method, headers=headers, query_string=request.get("query"),
                             json=request.get("json"))
    with response:
        response.get_data()
        return response


@pytest.mark.parametrize("endpoint", sorted(REST), ids=lambda e: f"{e[1]} {e[0]}")
def test_each_role_may_call_what_its_row_says(app, endpoint):
    tail, request, expected = REST[endpoint]
    world = None
    for role in REST_ROLES:
        world = world or World(app)
        before = world.seq()
        response = rest(app, world, role, tail, {**request, "method": endpoint[1]})
        want = expected[role]
        if isinstance(want, int):
            assert response.status_code == want, (endpoint, role, response.status_code, response.get_json())
            if endpoint[1] != "GET":
                world = None  # it changed something: the next role gets a fresh exercise
        else:
            body = response.get_json()
            assert (response.status_code, body["error"]["code"]) == want, (endpoint, role, body)
            assert world.seq() == before, f"refused {endpoint} by {role} changed the log"


def test_whoami_names_the_role_of_any_token(app):
    world = World(app)
    for role in REST_ROLES:
        response = app.test_client().get(
            "/api/whoami", headers={"Authorization": f"Bearer {world.tokens[role]}"} if role != "none" else {})
        want = WHO_AM_I[role]
        if isinstance(want, str):
            assert response.status_code == 200 and response.get_json()["role"] == want, (role, response.get_json())
        else:
            assert (response.status_code, response.get_json()["error"]["code"]) == want, role
