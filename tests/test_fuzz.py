"""Fuzzing the two doors of the server: every REST endpoint and the Socket.IO ``command`` handler.

Whatever arrives (JSON of the wrong shape or type, numbers beyond any integer column, lone surrogates,
nesting deeper than the parser goes, very long strings, unknown keys and query parameters, missing,
made-up or another exercise's bearer tokens, bodies of the wrong content type), the server answers:

- REST: never a 500; every refusal under ``/api/`` is the one envelope ``{"error": {code, message,
  fields}}``;
- Socket.IO: every command and every resume is acknowledged; a refusal is ``{"ok": false, "error":
  {code, message, fields}}``, and never ``internal`` (the handler's answer to an unexpected exception).

The REST routes are read from the app's URL map and the commands from the engine's registry, so a new
endpoint or command is fuzzed without touching this file. Command fields mix valid ids of the live
exercise (its delegations, channels, cards, rows, proposals, plays …) with garbage, so the fuzz reaches
the rules, not only the wire schemas. Rate limits are set out of reach here (``rate_limited`` is still
accepted as an answer), so the handlers themselves are what is fuzzed.

Runs are reproducible (``derandomize``, no example database). Cases: ``FACILITATOR_FUZZ_CASES`` (default
10,000 in all: 5,000 REST requests, 4,500 commands, 500 connects and resumes; more for a deeper search, which
then draws afresh each run).
"""

from __future__ import annotations

import json
import os
import string
from urllib.parse import urlencode

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from marshmallow import fields
from werkzeug.routing import BuildError

from facilitator.engine import COMMANDS, RuleError
from facilitator.engine.audience import UMPIRE_ACTOR
from facilitator.extensions import services
from facilitator.schemas import load_command
from facilitator.schemas.commands import CLIENT_COMMANDS, schema_for

from .conftest import unlimited_app


CASES = int(os.environ.get("FACILITATOR_FUZZ_CASES", "10000"))
REST_CASES = CASES // 2  # 5,000 of the default 10,000
CONNECT_CASES = CASES // 20  # 500
COMMAND_CASES = CASES - REST_CASES - CONNECT_CASES  # 4,500
SETTINGS = {"deadline": None, "database": None, "derandomize": "FACILITATOR_FUZZ_CASES" not in os.environ,
            "suppress_health_check": list(HealthCheck), "print_blob": True}
RAN = {"rest": 0, "command": 0, "connect": 0}
CODES: dict[str, int] = {}  # how the fuzzed commands were answered: "ok" or the error code
HUGE = (2 ** 31, 2 ** 31 - 1, 2 ** 53 + 1, 2 ** 63, 2 ** 63 - 1, 2 ** 64, -(2 ** 63) - 1, 10 ** 30)
NASTY_TEXT = ("\ud800", "a\udfffb", "\x00", "\u202e", "\ufeff", "\u200b" * 3, "\U0001F54A" * 50, " ", "",
              "x" * 5_000, "y" * 100_000, "%s%n{0}", "../../etc/passwd", "<script>alert(1)</script>",
              "NaN", "null", "true", "-1", "0", "1e400", "\r\n\t")
DEEP_ARRAY = "[" * 5000 + "]" * 5000
DEEP_OBJECT = '{"a": ' * 5000 + "1" + "}" * 5000


# ---- the app and its exercises --------------------------------------------------------------------


@pytest.fixture(scope="module")
def app(tmp_path_factory):
    app = unlimited_app(tmp_path_factory.mktemp("fuzz"))
    yield app
    app.extensions["facilitator"].db.dispose()


class World:
    """Exercise A (played a little: phases open, a proposal, a signal, a free move, a bookmark, a back-channel
    request) with a token per role, and exercise B (another exercise, for its tokens)."""

    def __init__(self, app):
        self.app = app
        self.http = app.test_client()
        self.build()

    def build(self) -> None:
        svc = services().exercises
        a, b = svc.create("demo", "Fuzzed"), svc.create("demo")
        self.id, self.other_id = a.id, b.id
        self.codes = dict(a.join_codes)
        members = {}
        for delegation, name in (("ukraine", "Olena"), ("russia", "Ivan"), ("turkey", "Aylin")):
            identity, token = svc.join(a.join_codes[delegation], name)
            members[delegation] = (identity, token)
        _, stranger = svc.join(b.join_codes["ukraine"], "Taras")
        staff_id, assistant = svc.add_staff(a.id, "Ada", "assistant", UMPIRE_ACTOR)
        self.tokens = {"umpire": a.umpire_token, "assistant": assistant, "observer": a.observer_code,
                       **{d: t for d, (_, t) in members.items()},
                       "other_umpire": b.umpire_token, "other_member": stranger}
        self.participants = [i.actor.participant for i, _ in members.values()] + [staff_id]
        run = self.run
        run("umpire", {"type": "set_firing", "automatic": False})
        run("umpire", {"type": "advance_phase"})
        run("umpire", {"type": "advance_phase"})
        run("russia", {"type": "draft_proposal", "table": "corridor", "title": "Open the route",
                       "clauses": [{"clause_type": "safe-route", "terms": "Through the Bosporus"}]})
        run("turkey", {"type": "play_signal", "card": "tr-host-offer"})
        run("ukraine", {"type": "submit_move", "action": "Clear the mines"})
        run("umpire", {"type": "add_bookmark", "at": 1, "label": "Start"})
        run("umpire", {"type": "set_backchannel_policy", "policy": "ask"})
        run("russia", {"type": "open_backchannel", "delegations": ["turkey"]})
        run("ukraine", {"type": "post_message", "channel": "plenary", "text": "Good morning"})

    def run(self, who: str, payload: dict) -> None:
        identity = services().exercises.identify(self.tokens[who])
        command, _ = load_command(payload)
        services().exercises.execute(identity.exercise_id, command, identity.actor)

    def healthy(self) -> bool:
        """Whether exercise A still runs and every token still opens its seat (a fuzzed call may have ended,
        archived or deleted it, or re-issued a link)."""
        svc = services().exercises
        try:
            state = svc.state(self.id)
        except RuleError:  # deleted
            return False
        if state.ended or state.control.archived:
            return False
        return all(svc.identify(t) is not None for t in self.tokens.values())

    # -- what the fuzz picks from ------------------------------------------------------------------
    def ids(self) -> dict[str, list]:
        """Valid references of exercise A as it stands, by kind."""
        state = services().exercises.state(self.id)
        deck = state.deck
        return {
            "delegation": list(deck.delegation_ids()) + ["all"],
            "channel": list(state.channels.by_id),
            "card": [s.id for s in deck.signals],
            "inject": [r.id for r in state.injects.rows],
            "table": [t.id for t in deck.tables],
            "clause_type": [k.id for k in deck.clause_types],
            "indicator": [i.id for i in deck.indicators],
            "participant": self.participants,
            "bookmark": list(state.bookmarks),
            "rule": [r.id for r in deck.ceasefire_risks],
            "number": list(range(5)),
            "word": ["ask", "allowed", "closed", "force", "veto", "approved", "rejected", "modified", "all",
                     "everyone", "umpire", "delegations", "banner", "news", "message", "contingency"],
        }


@pytest.fixture(scope="module")
def world(app):
    with app.app_context():
        yield World(app)


# ---- strategies (made once: a strategy is costly to build, cheap to draw from) -----------------------

def texts():
    return st.one_of(st.sampled_from(NASTY_TEXT), st.text(max_size=40),
                     st.text(alphabet=st.characters(codec="utf-8"), max_size=20) | st.just("\ud800"))


def numbers():
    return st.one_of(st.integers(-5, 40), st.sampled_from(HUGE), st.sampled_from([-n for n in HUGE]),
                     st.floats(allow_nan=True, allow_infinity=False), st.just(True), st.just(False))


def json_values():
    scalar = st.one_of(st.none(), numbers(), texts())
    return st.recursive(scalar, lambda inner: st.lists(inner, max_size=4)
                        | st.dictionaries(st.text(max_size=8), inner, max_size=4), max_leaves=8)


def nested(depth: int):
    """A value nested ``depth`` levels: deep, but within what the Socket.IO client can encode."""
    value: object = 1
    for i in range(depth):
        value = [value] if i % 2 else {"a": value}
    return value


def garbage():
    return st.one_of(json_values(), st.builds(nested, st.sampled_from([50, 200, 800])),
                     st.lists(st.sampled_from(NASTY_TEXT), max_size=60))


KINDS = {"delegations": "delegation", "to": "delegation", "toward": "delegation", "between": "delegation",
         "tell": "delegation", "delegation": "delegation", "channel": "channel", "card": "card",
         "inject": "inject", "before": "inject", "table": "table", "indicator": "indicator",
         "participant": "participant", "bookmark": "bookmark", "rule": "rule", "policy": "word",
         "ruling": "word", "override": "word", "clause_type": "clause_type"}


def live(ids: dict, kind: str):
    """A valid reference of ``kind`` in the exercise as it stands when drawn (``ids`` is kept up to date)."""
    return st.integers(0, 99).map(lambda i: ids[kind][i % len(ids[kind])] if ids[kind] else "none")


def command_payloads(ids: dict):
    """Any command payload: every client command type, its fields mostly of the right kind (often live ids,
    or numbers as proposals, plays and moves are), sometimes junk, missing or unknown; now and then no type,
    an unknown type, or not an object at all."""
    junk = garbage()
    some_text, some_number = texts(), numbers()
    clause = st.fixed_dictionaries({"clause_type": live(ids, "clause_type") | some_text, "terms": some_text})
    row = st.fixed_dictionaries({"title": some_text, "text": some_text}, optional={
        "audience": live(ids, "word") | some_text, "to": st.lists(live(ids, "delegation") | some_text, max_size=3),
        "minute": some_number, "phase": some_text, "number": some_number, "id": some_text,
        "delivery": live(ids, "word")})

    def value_of(name: str):
        single = st.one_of(live(ids, KINDS.get(name, "number")), live(ids, KINDS.get(name, "word")),
                           some_number, some_text)
        return st.one_of(single, single, single, st.lists(single, max_size=5), junk, st.lists(clause, max_size=3),
                         row, st.lists(row, max_size=2))

    def typed_value(name: str, field):
        """A value of the field's own wire type (so the rules, not the schema, have the last word)."""
        ref = live(ids, KINDS.get(name, "word")) | some_text
        if isinstance(field, fields.Boolean):
            return st.booleans()
        if isinstance(field, fields.Integer):
            return live(ids, "number") | st.integers(-3, 120) | st.sampled_from(HUGE)
        if isinstance(field, fields.Nested):
            return row
        if isinstance(field, fields.List):
            inner = field.inner
            if isinstance(inner, fields.Nested):
                return st.lists(clause, min_size=1, max_size=3) if name == "clauses" else st.lists(row, max_size=2)
            if isinstance(inner, fields.Integer):
                return st.lists(live(ids, "number"), max_size=3)
            return st.lists(live(ids, KINDS.get(name, "delegation")), min_size=1, max_size=3)
        return ref

    def shape(kind: str):
        schema = schema_for(CLIENT_COMMANDS[kind])()
        names = [n for n in schema.fields if n not in ("type", "seq", "command_id")]
        loose = st.fixed_dictionaries({"type": st.just(kind)}, optional={n: value_of(n) for n in names})
        required = {n: typed_value(n, schema.fields[n]) for n in names if schema.fields[n].required}
        tight = st.fixed_dictionaries({"type": st.just(kind), **required},
                                      optional={n: typed_value(n, schema.fields[n]) for n in names
                                                if not schema.fields[n].required})
        return loose | tight

    typed = st.one_of([shape(kind) for kind in sorted(CLIENT_COMMANDS)])
    extra = st.dictionaries(st.sampled_from(["seq", "command_id", "unknown", "__proto__", "", "type\u0000"]),
                            some_number | some_text | junk, max_size=2)
    odd = st.fixed_dictionaries({}, optional={"type": st.sampled_from(sorted(set(COMMANDS) - set(CLIENT_COMMANDS)))
                                              | some_text | some_number | st.none()})
    return st.one_of(st.tuples(typed, extra).map(lambda t: {**t[0], **t[1]}),
                     st.tuples(typed, extra).map(lambda t: {**t[0], **t[1]}),
                     st.tuples(typed, extra).map(lambda t: {**t[0], **t[1]}),
                     st.tuples(typed, extra).map(lambda t: {**t[0], **t[1]}),
                     st.tuples(odd, extra).map(lambda t: {**t[0], **t[1]}), junk)


def tokens_for(world: World):
    return st.one_of(st.sampled_from(sorted(world.tokens.values())), st.none(),
                     st.sampled_from(["", "x", "made-up-token", "\ud800", "t" * 500, "Bearer x"]),
                     st.sampled_from(list(world.codes.values())), numbers(), st.lists(texts(), max_size=2))


# ---- Socket.IO -------------------------------------------------------------------------------------


def check_ack(ack, what) -> None:
    assert isinstance(ack, dict), f"no ack (or not an object) for {what!r}: {ack!r}"
    if ack.get("ok") is True:
        return
    assert ack.get("ok") is False and set(ack) == {"ok", "error"}, ack
    error = ack["error"]
    assert set(error) == {"code", "message", "fields"}, ack
    assert isinstance(error["code"], str) and error["code"] and error["code"] != "internal", (what, ack)
    assert isinstance(error["message"], str) and error["message"], ack
    assert isinstance(error["fields"], dict), ack


class Clients:
    """One open connection per role of exercise A (made again when the exercise is made again)."""

    ROLES = ("umpire", "assistant", "observer", "ukraine", "russia", "turkey", "other_member")

    def __init__(self, app, world: World):
        self.app, self.world = app, world
        self.open: dict = {}

    def get(self, role: str):
        client = self.open.get(role)
        if client is None or not client.is_connected():
            client = self.app.extensions["socketio"].test_client(self.app, auth={"token": self.world.tokens[role]})
            assert client.is_connected(), role
            check_ack(client.emit("resume", {"last_seq": None}, callback=True), "resume")
            self.open[role] = client
        return client

    def rebuild(self) -> None:
        for client in self.open.values():
            if client.is_connected():
                client.disconnect()
        self.open.clear()
        self.world.build()


@pytest.fixture(scope="module")
def clients(app, world):
    made = Clients(app, world)
    yield made
    for client in made.open.values():
        if client.is_connected():
            client.disconnect()


def test_fuzzed_commands_are_always_answered_with_an_ack_or_the_error_envelope(app, world, clients):
    with app.app_context():
        ids = world.ids()

        @settings(max_examples=COMMAND_CASES, **SETTINGS)
        @given(role=st.sampled_from(Clients.ROLES), payload=command_payloads(ids))
        def fuzz(role, payload):
            client = clients.get(role)
            ack = client.emit("command", payload, callback=True)
            check_ack(ack, payload)
            client.get_received()  # drop the updates: they are checked elsewhere
            RAN["command"] += 1
            CODES[ack["error"]["code"] if not ack["ok"] else "ok"] = CODES.get(
                ack["error"]["code"] if not ack["ok"] else "ok", 0) + 1
            if ack["ok"]:
                if services().exercises.state(world.id).ended:  # play on in a new exercise
                    clients.rebuild()
                ids.update(world.ids())

        before = RAN["command"]
        fuzz()
        assert RAN["command"] - before >= COMMAND_CASES * 0.9, RAN  # the number of cases is part of the proof


def test_fuzzed_connects_and_resumes_are_answered(app, world):
    """Connect with any ``auth``; a refused connect is refused cleanly; a resume with any ``last_seq`` is
    acknowledged."""
    socketio = app.extensions["socketio"]
    auths = st.one_of(st.none(), json_values(), st.fixed_dictionaries(
        {"token": tokens_for(world)}, optional={"as": st.sampled_from(["ukraine", "un", "x"]) | json_values()}))
    last_seqs = st.one_of(st.none(), numbers(), texts(), json_values())

    with app.app_context():
        @settings(max_examples=CONNECT_CASES, **SETTINGS)
        @given(auth=auths, last_seq=last_seqs, shape=st.sampled_from(["object", "bare", "none"]))
        def fuzz(auth, last_seq, shape):
            client = socketio.test_client(app, auth=auth)
            RAN["connect"] += 1
            if not client.is_connected():
                return
            payload = {"last_seq": last_seq} if shape == "object" else last_seq if shape == "bare" else None
            check_ack(client.emit("resume", payload, callback=True), payload)
            client.disconnect()

        fuzz()


# ---- REST ---------------------------------------------------------------------------------------------

QUERY_KEYS = ("after", "before", "limit", "channel", "as", "seq", "step", "history", "format", "pseudonymise",
              "data", "unknown")
QUERY_VALUES = ("0", "1", "-1", "2", "500", "5001", "18446744073709551616", "9223372036854775808",
                "2147483648", "1e5", "0x10", " 1", "", "umpire", "public", "observers", "d:ukraine", "d:atlantis",
                "jsonl", "csv", "html", "pdf", "true", "plenary", "table:corridor", "%00", "\u00e9", "https://x.y")
BODY_KEYS = ("deck", "title", "code", "name", "role", "kind", "target", "delegation", "unknown")
CONTENT_TYPES = ("application/json", "text/plain", "text/csv", "application/x-www-form-urlencoded",
                 "application/octet-stream", "multipart/form-data; boundary=x", "application/json; charset=latin-1",
                 None)


def current(options):
    """One of ``options()`` as it is when drawn (the exercise is made again now and then)."""
    return st.integers(0, 99).map(lambda i: options()[i % len(options())])


def routes(app) -> list[tuple[str, str]]:
    """(endpoint, method) of every route the app serves."""
    found = []
    for rule in app.url_map.iter_rules():
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            found.append((rule.endpoint, method, rule))
    return found


@st.composite
def path_for(draw, app, world: World, rule, method: str):
    values = {}
    for argument in sorted(rule.arguments):
        if argument == "exercise_id":
            values[argument] = draw(st.sampled_from([world.id, world.id, world.other_id, "0" * 16, "nope"])
                                    | st.text(min_size=1, max_size=30))
        elif argument == "participant":
            values[argument] = draw(st.sampled_from(world.participants) | st.text(min_size=1, max_size=30))
        else:
            choices = getattr(rule._converters.get(argument), "items", None)  # an ``any(...)`` converter
            values[argument] = draw(st.sampled_from(sorted(choices)) if choices else
                                    st.text(min_size=1, max_size=30) | st.sampled_from(["app.js", "x/../y"]))
    try:
        return app.url_map.bind("localhost").build(rule.endpoint, values, method=method)
    except BuildError:  # a value the route's converter cannot put in a path
        return None


def bodies(world: World):
    """(raw body or None, content type): no body, JSON objects with the keys the endpoints read (valid
    values among them), other JSON, JSON nested 5,000 deep, random bytes, CSV text; mostly as JSON."""
    some_text, some_number, values = texts(), numbers(), json_values()
    content_type = st.sampled_from(CONTENT_TYPES) | st.just("application/json") | st.just("application/json")
    known = st.sampled_from(["demo", "umpire", "assistant", "observer", "participant", "staff", "delegation",
                             "ukraine", "atlantis"]) | current(lambda: world.participants) \
        | current(lambda: list(world.codes.values()))
    objects = st.dictionaries(st.sampled_from(BODY_KEYS) | st.text(max_size=6),
                              known | known | some_text | some_number | values, max_size=5)
    deep = st.sampled_from([DEEP_ARRAY, DEEP_OBJECT, '{"deck": ' + DEEP_ARRAY + "}", '{"name": ' + DEEP_OBJECT + "}"])
    cell = some_text | st.sampled_from(["title", "text", "audience", "all", "5"])
    csv = st.lists(st.lists(cell, max_size=6), max_size=5).map(
        lambda rows: "\n".join(",".join(r) for r in rows).encode("utf-8", "surrogatepass"))
    as_json = lambda value: json.dumps(value).encode()
    return st.one_of(
        st.tuples(st.none(), st.sampled_from(CONTENT_TYPES)),
        st.tuples(objects.map(as_json), content_type), st.tuples(objects.map(as_json), content_type),
        st.tuples(objects.map(as_json), content_type), st.tuples(values.map(as_json), content_type),
        st.tuples(deep.map(str.encode), content_type), st.tuples(st.binary(max_size=200), content_type),
        st.tuples(csv, st.sampled_from(["text/csv", "text/plain", None, "application/json"])))


def check_response(response, method: str, path: str) -> None:
    status = response.status_code
    assert status != 500 and status < 500 or status == 503, (method, path, status, response.get_data()[:300])
    if not path.startswith("/api/") or status < 400:
        return
    assert response.is_json, (method, path, status, response.get_data()[:300])
    body = response.get_json()
    assert isinstance(body, dict) and set(body) == {"error"}, body
    error = body["error"]
    extra = {"rows"} if response.request.path.endswith("/event-list.csv") else set()  # a CSV file's problems
    assert {"code", "message", "fields"} <= set(error) <= {"code", "message", "fields"} | extra, body
    assert isinstance(error["code"], str) and error["code"] and error["code"] != "internal", body
    assert isinstance(error["message"], str) and error["message"], body
    assert isinstance(error["fields"], dict), body


@pytest.fixture
def no_pdf(monkeypatch):
    """A PDF is drawn by WeasyPrint, seconds each: the fuzz answers with a stand-in (test_report.py renders
    real ones)."""
    monkeypatch.setattr("facilitator.api.render_pdf", lambda report: b"%PDF-1.7\n")


def test_fuzzed_rest_requests_never_fail_and_always_use_the_error_envelope(app, world, no_pdf):
    every = routes(app)
    assert any(r[0] == "api.list_events" for r in every) and any(r[0] == "api.join" for r in every)
    http = app.test_client()
    headers = st.one_of(
        st.just({}),
        st.builds(lambda t: {"Authorization": f"Bearer {t}"}, current(lambda: sorted(world.tokens.values()))),
        st.builds(lambda t: {"Authorization": f"Bearer {t}"}, st.text(alphabet=string.printable.strip() + " ",
                                                                     max_size=60)
                  | current(lambda: list(world.codes.values()))),
        st.sampled_from([{"Authorization": "Basic abc"}, {"Authorization": "Bearer"},
                         {"Authorization": "bearer " + "x" * 5000}, {"Authorization": "Bearer \u00e9\u00e9"}]))
    any_body = bodies(world)
    queries = st.dictionaries(st.sampled_from(QUERY_KEYS) | st.text(max_size=5),
                              st.sampled_from(QUERY_VALUES) | st.text(max_size=30), max_size=4)

    with app.app_context():
        @settings(max_examples=REST_CASES, **SETTINGS)
        @given(data=st.data())
        def fuzz(data):
            _, method, rule = data.draw(st.sampled_from(every))
            path = data.draw(path_for(app, world, rule, method))
            if path is None:
                return
            query = data.draw(queries)
            header = dict(data.draw(headers))
            body, content_type = data.draw(any_body) if method in ("POST", "PUT", "PATCH", "DELETE") \
                else (None, None)
            url = path + ("?" + urlencode(query) if query else "")
            with http.open(url, method=method, data=body, headers=header, content_type=content_type) as response:
                response.get_data()  # a streamed body (an export) is read whole
                check_response(response, method, path)
            RAN["rest"] += 1
            if method != "GET" and response.status_code < 300 and not world.healthy():
                world.build()

        before = RAN["rest"]
        fuzz()
        assert RAN["rest"] - before >= REST_CASES * 0.9, RAN  # the number of cases is part of the proof


# ---- known cases, by name ---------------------------------------------------------------------------


def error_of(response, status: int, code: str) -> dict:
    check_response(response, "", "/api/")
    assert response.status_code == status, (response.status_code, response.get_json())
    error = response.get_json()["error"]
    assert error["code"] == code, error
    return error


@pytest.mark.parametrize("parameter", ["after", "before"])
def test_a_seq_beyond_any_integer_column_is_an_invalid_query(app, world, parameter):
    with app.app_context():
        response = world.http.get(f"/api/exercises/{world.id}/events?{parameter}=18446744073709551616",
                                  headers={"Authorization": f"Bearer {world.tokens['umpire']}"})
        assert parameter in error_of(response, 400, "invalid")["fields"]


@pytest.mark.parametrize("path", ["/api/join", "/api/exercises"])
def test_a_json_array_nested_5000_deep_is_invalid(app, path):
    error_of(app.test_client().post(path, data=DEEP_ARRAY, content_type="application/json"), 400, "invalid")


def test_a_lone_surrogate_in_a_title_is_dropped_and_the_rest_stored(app):
    """A title is cleaned as every text is (docs/protocol.md, "Names and texts"): the lone surrogate goes, the
    rest is stored and echoed; a title of nothing else falls back to the deck's."""
    http = app.test_client()
    with app.app_context():
        for sent, kept in (("Tues\ud800day", "Tuesday"), ("\ud800", None)):
            response = http.post("/api/exercises", data=json.dumps({"deck": "demo", "title": sent}),
                                 content_type="application/json")
            assert response.status_code == 201, response.get_json()
            created = response.get_json()
            title = services().exercises.summary(created["id"])["title"]
            assert title == (kept or services().exercises.deck(created["id"]).title) == created["title"]


def test_a_lone_surrogate_in_a_name_is_dropped_or_refused_naming_the_field(app, world):
    http = app.test_client()
    with app.app_context():
        response = http.post("/api/join", data=json.dumps({"code": world.codes["un"], "name": "Ma\ud800ria"}),
                             content_type="application/json")
        assert response.status_code == 201 and response.get_json()["name"] == "Maria", response.get_json()
        response = http.post("/api/join", data=json.dumps({"code": world.codes["un"], "name": "\ud800"}),
                             content_type="application/json")
        assert error_of(response, 400, "invalid")["fields"] == {"name": "required"}


def test_a_lone_surrogate_as_a_join_code_or_a_token_is_simply_unknown(app):
    http = app.test_client()
    response = http.post("/api/join", data=json.dumps({"code": "\ud800\ud800\ud800\ud800", "name": "Maria"}),
                         content_type="application/json")
    assert error_of(response, 404, "bad_code")["fields"] == {"code": "unknown"}
    client = app.extensions["socketio"].test_client(app, auth={"token": "\ud800"})
    assert not client.is_connected()


@pytest.mark.parametrize("last_seq", [2 ** 63, 2 ** 64, 2 ** 31])
def test_a_resume_from_beyond_any_integer_column_is_acknowledged(app, world, last_seq):
    with app.app_context():
        client = app.extensions["socketio"].test_client(app, auth={"token": world.tokens["ukraine"]})
        check_ack(client.emit("resume", {"last_seq": last_seq}, callback=True), last_seq)
        check_ack(client.emit("resume", {"last_seq": 0}, callback=True), 0)  # and the connection still works
        client.disconnect()


@pytest.mark.parametrize("event, body", [("resume", '{"last_seq": 1%s}'), ("command", '{"type": "post_message", '
                                          '"channel": "plenary", "text": "x", "seq": 1%s}')])
def test_a_number_of_hundreds_of_digits_in_a_packet_is_answered(app, world, event, body, caplog):
    """Once such a packet was dropped unanswered, with a traceback in the log for each (the parser's limit)."""
    with app.app_context():
        client = app.extensions["socketio"].test_client(app, auth={"token": world.tokens["ukraine"]})
        client.callback_counter += 1
        client.socketio.server._handle_eio_message(
            client.eio_sid, f'2{client.callback_counter}["{event}",{body % ("0" * 400)}]')
        ack = client.acks
        client.acks = None
        assert ack is not None and len(ack["args"]) == 1, "no ack"
        check_ack(ack["args"][0], event)
        assert "Integer is too large" not in caplog.text
        client.disconnect()


def test_a_command_nested_5000_deep_is_answered(app, world):
    """Sent as raw JSON (the test client could not encode it): the parser's limit is not the server's end."""
    with app.app_context():
        client = app.extensions["socketio"].test_client(app, auth={"token": world.tokens["ukraine"]})
        client.callback_counter += 1
        try:
            client.socketio.server._handle_eio_message(
                client.eio_sid, f'2{client.callback_counter}["command",{DEEP_ARRAY}]')
        except RecursionError:  # the Socket.IO parser gave up: nothing reached the handler
            pass
        client.acks = None
        check_ack(client.emit("command", {"type": "post_message", "channel": "plenary", "text": "still here"},
                              callback=True), "after a deep packet")
        client.disconnect()


def test_packets_socketio_cannot_parse_leave_a_line_in_the_log_not_a_traceback_each(app, world, caplog):
    import logging

    with app.app_context(), caplog.at_level(logging.WARNING, logger="engineio.server"):
        client = app.extensions["socketio"].test_client(app, auth={"token": world.tokens["ukraine"]})
        eio = app.extensions["socketio"].server.eio  # through Engine.IO, which logs what the handler raises
        for _ in range(50):
            eio._trigger_event("message", client.eio_sid, "2" + "9" * 300 + '["command",{"type":"post_message"}]',
                               run_async=False)
        client.disconnect()
    records = [r for r in caplog.records if r.name == "engineio.server"]
    assert 1 <= len(records) <= 10 and all(r.exc_info is None for r in records), [r.getMessage() for r in records]
    assert "malformed Socket.IO packet" in records[0].getMessage()
