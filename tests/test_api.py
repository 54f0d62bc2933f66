"""REST: scenarios, exercises, joining, reading the log, and one error envelope for every failure."""

from __future__ import annotations

import pytest

from facilitator.engine.audience import UMPIRE_ACTOR


def error_of(response, status: int, code: str) -> dict:
    assert response.status_code == status, (response.status_code, response.get_data(as_text=True)[:300])
    assert response.is_json, response.get_data(as_text=True)[:300]
    body = response.get_json()
    assert set(body) == {"error"} and set(body["error"]) == {"code", "message", "fields"}, body
    assert body["error"]["code"] == code, body
    assert isinstance(body["error"]["message"], str) and body["error"]["message"]
    assert isinstance(body["error"]["fields"], dict)
    return body["error"]


@pytest.fixture
def created(client):
    response = client.post("/api/exercises", json={"deck": "demo", "title": "Tuesday class"})
    assert response.status_code == 201
    body = response.get_json()
    body["codes"] = {d["id"]: d["code"] for d in body["delegations"]}
    return body


def join(client, code: str, name: str) -> dict:
    response = client.post("/api/join", json={"code": code, "name": name})
    assert response.status_code in (200, 201), response.get_json()
    return response.get_json()


def bearer(token: str) -> dict:
    return {"Authorization": f"Bearer {token}"}


# ---- the happy paths ----------------------------------------------------------------------

def test_scenarios_are_listed_with_their_delegations_tables_and_phases(client):
    response = client.get("/api/scenarios")
    assert response.status_code == 200
    demo = next(s for s in response.get_json() if s["id"] == "demo")
    assert {d["id"] for d in demo["delegations"]} == {"ukraine", "russia", "turkey", "un"}
    assert {t["id"] for t in demo["tables"]} == {"corridor", "brokers"}
    assert [p["id"] for p in demo["phases"]] == ["briefing", "talks", "signing", "aftermath"]
    assert demo["minutes"] == sum(p["minutes"] for p in demo["phases"])
    assert {"title", "summary", "audience"} <= set(demo)


def test_creating_an_exercise_returns_the_umpire_token_and_every_code_once(client, created):
    assert created["title"] == "Tuesday class" and created["deck"] == "demo"
    token = created["umpire"]["token"]
    assert len(token) >= 24 and created["umpire"]["url"].endswith(f"/umpire#token={token}")
    assert created["observer"]["url"].endswith("#code=" + created["observer"]["code"])
    assert set(created["codes"]) == {"ukraine", "russia", "turkey", "un"}
    assert len(set(created["codes"].values()) | {created["observer"]["code"]}) == 5
    for delegation in created["delegations"]:
        assert delegation["url"].endswith("/join#code=" + delegation["code"])
    summary = client.get(f"/api/exercises/{created['id']}")
    assert summary.status_code == 200
    body = summary.get_json()
    assert body["id"] == created["id"] and body["last_seq"] == 0 and body["phase"] is None
    assert token not in summary.get_data(as_text=True)
    assert created["observer"]["code"] not in summary.get_data(as_text=True)


def test_joining_trades_a_code_and_a_name_for_a_personal_token(client, created):
    code = created["codes"]["ukraine"]
    first = join(client, code.lower().replace("-", ""), "  Olena ")  # codes are forgiving, names are trimmed
    second = join(client, code, "Taras")
    assert first["role"] == "delegation" and first["delegation"] == "ukraine" and first["name"] == "Olena"
    assert first["exercise"] == created["id"] and first["token"] != second["token"]
    assert created["umpire"]["token"] not in str(first) + str(second)
    observer = client.post("/api/join", json={"code": created["observer"]["code"], "name": ""})
    assert observer.status_code == 200
    assert observer.get_json() == {"token": created["observer"]["code"], "exercise": created["id"],
                                   "role": "observer"}
    who = client.get("/api/whoami", headers=bearer(first["token"]))
    assert who.status_code == 200 and who.get_json()["delegation"] == "ukraine"


def test_events_are_paged_and_filtered_for_the_caller(client, created, exercises, app):
    from facilitator.engine import AdvancePhase, PostMessage

    ua = join(client, created["codes"]["ukraine"], "Olena")
    ru = join(client, created["codes"]["russia"], "Sergei")
    with app.app_context():
        exercises.execute(created["id"], AdvancePhase(), UMPIRE_ACTOR)
        identity_ru = exercises.identify(ru["token"])
        identity_ua = exercises.identify(ua["token"])
        for i in range(5):
            exercises.execute(created["id"], PostMessage("delegation:russia", f"secret {i}"), identity_ru.actor)
            exercises.execute(created["id"], PostMessage("plenary", f"public {i}"), identity_ua.actor)
        exercises.execute(created["id"], PostMessage("umpire", "control only"), UMPIRE_ACTOR)
    url = f"/api/exercises/{created['id']}/events"

    everything = client.get(url, headers=bearer(created["umpire"]["token"])).get_json()
    assert [e["seq"] for e in everything["events"]] == list(range(1, 15)) and everything["more"] is False

    mine = client.get(url, headers=bearer(ua["token"])).get_json()["events"]
    assert all(e["data"].get("channel") not in ("delegation:russia", "umpire") for e in mine)
    assert [e["data"]["text"] for e in mine if e["type"] == "message_posted"] == [f"public {i}" for i in range(5)]
    snooping = client.get(url + "?channel=delegation:russia", headers=bearer(ua["token"])).get_json()
    assert snooping == {"events": [], "more": False}
    observer = client.get(url + "?channel=delegation:russia", headers=bearer(created["observer"]["code"]))
    assert observer.get_json() == {"events": [], "more": False}

    own = client.get(url + "?channel=delegation:russia&limit=2", headers=bearer(ru["token"])).get_json()
    assert [e["data"]["text"] for e in own["events"]] == ["secret 0", "secret 1"] and own["more"] is True
    after = own["events"][-1]["seq"]
    rest = client.get(f"{url}?channel=delegation:russia&after={after}", headers=bearer(ru["token"])).get_json()
    assert [e["data"]["text"] for e in rest["events"]] == ["secret 2", "secret 3", "secret 4"]
    older = client.get(f"{url}?before=8&limit=3", headers=bearer(ru["token"])).get_json()
    assert [e["seq"] for e in older["events"]] == [5, 6, 7] and older["more"] is True
    for event in everything["events"]:
        assert set(event) == {"seq", "type", "version", "at", "actor", "audience", "data", "summary"}


# ---- failures: one envelope, a sensible status ------------------------------------------------

def test_unknown_routes_and_methods_under_api_use_the_envelope(client, created):
    error_of(client.get("/api/nothing-here"), 404, "not_found")
    error_of(client.get("/api/exercises/nope"), 404, "not_found")
    error_of(client.delete("/api/scenarios"), 405, "method_not_allowed")
    error_of(client.get("/api/join"), 405, "method_not_allowed")
    error_of(client.put(f"/api/exercises/{created['id']}", json={}), 405, "method_not_allowed")


@pytest.mark.parametrize("kwargs, field", [
    ({"data": "{not json", "content_type": "application/json"}, ""),
    ({"data": "deck=demo", "content_type": "application/x-www-form-urlencoded"}, ""),
    ({"json": ["demo"]}, ""),
    ({"json": "demo"}, ""),
    ({"json": {}}, "deck"),
    ({"json": {"deck": 5}}, "deck"),
    ({"json": {"deck": ""}}, "deck"),
    ({"json": {"deck": "demo", "colour": "red"}}, "colour"),
    ({"json": {"deck": "demo", "title": "T" * 201}}, "title"),
], ids=["bad-json", "form", "array", "string", "missing", "wrong-type", "empty", "unknown-field", "long-title"])
def test_a_bad_body_is_invalid_and_names_the_field(client, kwargs, field):
    error = error_of(client.post("/api/exercises", **kwargs), 400, "invalid")
    assert field in error["fields"]
    if field:
        assert field in error["message"]


@pytest.mark.parametrize("path", ["/api/exercises", "/api/join"])
def test_json_nested_too_deep_is_invalid_not_a_server_failure(client, path):
    """5,000 nested arrays, or an object holding them: deeper than Python's parser goes."""
    for body in ("[" * 5000 + "]" * 5000, '{"deck": ' + "[" * 5000 + "]" * 5000 + "}"):
        error_of(client.post(path, data=body, content_type="application/json"), 400, "invalid")


def test_an_unknown_deck_is_not_found(client):
    error = error_of(client.post("/api/exercises", json={"deck": "atlantis"}), 404, "not_found")
    assert error["fields"] == {"deck": "unknown"} and "atlantis" in error["message"]


def test_a_body_over_the_size_limit_is_refused(client):
    error_of(client.post("/api/exercises", data="x" * (300 * 1024), content_type="application/json"),
             413, "too_large")


def test_joining_with_a_bad_code_or_name_is_refused(client, created):
    error = error_of(client.post("/api/join", json={"code": "ZZZZ-ZZZZ", "name": "Olena"}), 404, "bad_code")
    assert error["fields"] == {"code": "unknown"}
    error_of(client.post("/api/join", json={"code": "ZZ", "name": "Olena"}), 400, "invalid")
    error_of(client.post("/api/join", json={"name": "Olena"}), 400, "invalid")
    code = created["codes"]["turkey"]
    assert error_of(client.post("/api/join", json={"code": code}), 400, "invalid")["fields"] == {"name": "required"}
    error_of(client.post("/api/join", json={"code": code, "name": "   "}), 400, "invalid")
    error = error_of(client.post("/api/join", json={"code": code, "name": "N" * 41}), 400, "too_long")
    assert "name" in error["fields"]
    error_of(client.post("/api/join", json={"code": code, "name": "N" * 201}), 400, "invalid")
    assert join(client, code, "N" * 40)["name"] == "N" * 40


def test_two_participants_cannot_share_a_name(client, created, exercises):
    join(client, created["codes"]["ukraine"], "Olena")
    for code, name in ((created["codes"]["russia"], "olena"), (created["codes"]["ukraine"], "  OLENA "),
                       (created["codes"]["un"], "Olena")):
        error = error_of(client.post("/api/join", json={"code": code, "name": name}), 409, "name_taken")
        assert error["fields"] == {"name": "taken"}
    assert exercises.summary(created["id"])["last_seq"] == 1
    other = client.post("/api/exercises", json={"deck": "demo"}).get_json()
    assert join(client, other["delegations"][0]["code"], "Olena")["name"] == "Olena"  # per exercise


def test_reading_events_needs_a_token_of_that_exercise(client, created):
    url = f"/api/exercises/{created['id']}/events"
    error_of(client.get(url), 401, "bad_token")
    error_of(client.get(url, headers={"Authorization": "Basic abc"}), 401, "bad_token")
    error_of(client.get(url, headers=bearer("made-up")), 401, "bad_token")
    error_of(client.get(url, headers=bearer(created["codes"]["ukraine"])), 401, "bad_token")  # a join code
    other = client.post("/api/exercises", json={"deck": "demo"}).get_json()
    stranger = join(client, other["delegations"][0]["code"], "Ivan")
    for token in (stranger["token"], other["umpire"]["token"], other["observer"]["code"]):
        error_of(client.get(url, headers=bearer(token)), 403, "forbidden")
    assert client.get(url, headers=bearer(created["umpire"]["token"])).status_code == 200


@pytest.mark.parametrize("query, field", [("limit=0", "limit"), ("limit=5001", "limit"), ("after=-1", "after"),
                                          ("after=9223372036854775808", "after"), ("before=99999999999", "before"),
                                          ("before=0", "before"), ("limit=many", "limit"), ("page=2", "page")])
def test_a_bad_event_query_is_invalid(client, created, query, field):
    response = client.get(f"/api/exercises/{created['id']}/events?{query}", headers=bearer(created["umpire"]["token"]))
    error = error_of(response, 400, "invalid")
    assert field in error["fields"] and field in error["message"]


@pytest.mark.parametrize("path", ["/", "/join", "/play", "/umpire", "/observe", "/projector", "/replay"])
def test_pages_carry_a_content_security_policy(client, path):
    with client.get(path) as response:
        assert response.status_code == 200
        policy = response.headers["Content-Security-Policy"]
        assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert "default-src 'self'" in policy and "script-src 'self'" in policy and "object-src 'none'" in policy
    assert "unsafe-inline" not in policy


def test_api_responses_carry_the_security_headers_too(client):
    response = client.get("/api/scenarios")
    assert "Content-Security-Policy" in response.headers and response.headers["X-Content-Type-Options"] == "nosniff"


def test_a_server_failure_under_api_uses_the_envelope_too(app, client, exercises, monkeypatch):
    app.config["PROPAGATE_EXCEPTIONS"] = False  # as in production: a bug becomes a 500, not a test crash

    def broken(exercise_id):
        raise RuntimeError("a bug")
    monkeypatch.setattr(exercises, "summary", broken)
    error = error_of(client.get("/api/exercises/anything"), 500, "internal")
    assert "a bug" not in error["message"]


def test_sync_carries_the_exercise_id_and_its_own_title(live_server):
    import socketio
    from .realtime_helpers import http
    created = http(live_server.url, "POST", "/api/exercises", {"deck": "demo", "title": "Seminar group B"}).body
    client = socketio.SimpleClient()
    client.connect(live_server.url, auth={"token": created["umpire"]["token"]}, transports=["websocket"])
    try:
        ack = client.call("resume", {"last_seq": None}, timeout=10)
        name, sync = client.receive(timeout=10)
    finally:
        client.disconnect()
    assert ack["exercise"] == created["id"] and name == "sync"
    assert sync["state"]["exercise"]["id"] == created["id"]
    assert sync["state"]["exercise"]["title"] == "Seminar group B"
    assert sync["state"]["exercise"]["deck_title"] == "Demo: a corridor for grain"
