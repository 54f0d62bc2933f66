"""Secrets and admission: codes stored under the installation's key, joins closed after the end, guessing
throttled, creating exercises behind an instructor key with a per-address limit, no debugger, no banner."""

from __future__ import annotations

import hashlib

import pytest
from sqlalchemy import select, update

from facilitator import create_app
from facilitator.engine import EndExercise
from facilitator.engine.audience import UMPIRE_ACTOR
from facilitator.engine.control import AllowLateJoins
from facilitator.limits import Rate
from facilitator.persistence.models import ExerciseRow, SeatRow
from facilitator.services import tokens

from .conftest import migrated_url


def unkeyed(code: str) -> str:
    return hashlib.sha256(tokens.normalize_code(code).encode()).hexdigest()


def test_codes_are_stored_under_the_installations_key_not_as_a_plain_digest(exercises):
    created = exercises.create("demo")
    with exercises.db.read() as session:
        stored = set(session.scalars(select(SeatRow.join_code_hash).where(SeatRow.exercise_id == created.id)))
        stored.add(session.get(ExerciseRow, created.id).observer_code_hash)
    codes = [*created.join_codes.values(), created.observer_code]
    assert not stored & {unkeyed(c) for c in codes}  # a stolen database alone does not let anyone search codes
    assert stored == {tokens.code_digest(c, exercises.code_key) for c in codes}


def test_another_installation_secret_opens_none_of_the_codes(tmp_path, monkeypatch, exercises):
    created = exercises.create("demo")
    monkeypatch.setenv("FACILITATOR_INSTANCE", str(tmp_path / "elsewhere"))
    other = create_app({"TESTING": True, "DATABASE_URL": exercises.db.url, "SECRET_KEY": "another secret"})
    try:
        service = other.extensions["facilitator"].exercises
        assert service.identify(created.observer_code) is None
        assert service.identify(created.umpire_token) is not None  # long tokens need no key
    finally:
        other.extensions["facilitator"].db.dispose()


def test_the_migration_rekeys_codes_stored_before_it(exercises):
    from facilitator.persistence.migrate import downgrade, upgrade

    created = exercises.create("demo")
    exercises.db.dispose()
    downgrade(exercises.db, "0004", code_key=exercises.code_key)
    with exercises.db.write() as session:  # as a database from before keyed codes stored them
        session.execute(update(ExerciseRow).where(ExerciseRow.id == created.id)
                        .values(observer_code_hash=unkeyed(created.observer_code)))
        for delegation, code in created.join_codes.items():
            session.execute(update(SeatRow).where(SeatRow.exercise_id == created.id,
                                                  SeatRow.delegation_id == delegation).values(join_code_hash=unkeyed(code)))
    with pytest.raises(RuntimeError, match="facilitator db upgrade"):
        upgrade(exercises.db)  # without the key it cannot, and says how
    upgrade(exercises.db, code_key=exercises.code_key)
    assert exercises.identify(created.observer_code).actor.role == "observer"
    identity, _ = exercises.join(created.join_codes["ukraine"], "Olena")
    assert identity.actor.delegation == "ukraine"


# ---- joins after the end ------------------------------------------------------------------------------


def test_a_join_code_seats_nobody_after_the_end_unless_the_umpire_allows_it(client, exercises):
    created = exercises.create("demo")
    code = created.join_codes["ukraine"]
    assert client.post("/api/join", json={"code": code, "name": "Before"}).status_code == 201
    exercises.execute(created.id, EndExercise(), UMPIRE_ACTOR)
    refused = client.post("/api/join", json={"code": code, "name": "After"})
    assert refused.status_code == 400 and refused.get_json()["error"]["code"] == "ended"
    assert "umpire" in refused.get_json()["error"]["message"]
    assert [m.name for m in exercises.state(created.id).participants.members.values()] == ["Before"]
    assert client.post("/api/join", json={"code": created.observer_code}).status_code == 200  # public view only

    exercises.execute(created.id, AllowLateJoins(True), UMPIRE_ACTOR)
    assert client.post("/api/join", json={"code": code, "name": "After"}).status_code == 201
    exercises.execute(created.id, AllowLateJoins(False), UMPIRE_ACTOR)
    assert client.post("/api/join", json={"code": code, "name": "Later"}).get_json()["error"]["code"] == "ended"


def test_only_the_umpire_opens_late_joins_and_only_control_is_told(exercises):
    from facilitator.engine import RuleError
    from facilitator.engine.control import staff_actor

    created = exercises.create("demo")
    member, _ = exercises.join(created.join_codes["russia"], "Ivan")
    exercises.execute(created.id, EndExercise(), UMPIRE_ACTOR)
    for actor in (member.actor, staff_actor("s1", "Ana", "assistant")):
        with pytest.raises(RuleError) as refused:
            exercises.execute(created.id, AllowLateJoins(True), actor)
        assert refused.value.code == "forbidden"
    exercises.execute(created.id, AllowLateJoins(True), UMPIRE_ACTOR)
    told = [e.type for e in exercises.events(created.id, member.actor)]
    assert "late_joins_set" not in told
    assert "late_joins_set" in [e.type for e in exercises.events(created.id, UMPIRE_ACTOR)]


# ---- guessing -----------------------------------------------------------------------------------------


@pytest.fixture
def tight(tmp_path, monkeypatch):
    """An app whose guessing and creation limits are small enough to reach in a test."""
    monkeypatch.setenv("FACILITATOR_INSTANCE", str(tmp_path / "instance"))
    app = create_app({"TESTING": True, "DATABASE_URL": migrated_url(tmp_path / "t.sqlite3"),
                      "LIMIT_GUESSES": Rate(burst=5, per_second=1 / 60), "LIMIT_CREATIONS": Rate(burst=3, per_second=1 / 60)})
    yield app
    app.extensions["facilitator"].db.dispose()


def test_wrong_codes_from_one_address_are_throttled_and_the_right_code_waits_too(tight):
    client = tight.test_client()
    created = tight.extensions["facilitator"].exercises.create("demo")
    attacker = {"REMOTE_ADDR": "10.0.0.66"}
    answers = [client.post("/api/join", json={"code": f"AAAA-AAA{i}", "name": "x"}, environ_base=attacker)
               for i in range(2, 9)]
    assert [r.status_code for r in answers[:5]] == [404] * 5
    limited = answers[5]
    assert limited.status_code == 429 and limited.get_json()["error"]["code"] == "rate_limited"
    assert float(limited.get_json()["error"]["fields"]["retry_after"]) > 0 and int(limited.headers["Retry-After"]) > 0
    # While throttled, even a right code is not tried (so guessing gains nothing); other addresses are unaffected.
    right = {"code": created.join_codes["ukraine"], "name": "Olena"}
    assert client.post("/api/join", json=right, environ_base=attacker).status_code == 429
    assert client.post("/api/join", json=right, environ_base={"REMOTE_ADDR": "10.0.0.7"}).status_code == 201
    # Tokens too: unknown bearer tokens spend the same budget.
    for _ in range(5):
        client.get("/api/whoami", headers={"Authorization": "Bearer nope"}, environ_base={"REMOTE_ADDR": "10.0.0.8"})
    assert client.get("/api/whoami", headers={"Authorization": f"Bearer {created.umpire_token}"},
                      environ_base={"REMOTE_ADDR": "10.0.0.8"}).status_code == 429


def test_successful_joins_from_one_address_are_not_throttled(tight):
    """A class behind one address (a school's NAT) joins together: only failures count."""
    client = tight.test_client()
    created = tight.extensions["facilitator"].exercises.create("demo")
    for i in range(30):
        code = list(created.join_codes.values())[i % 4]
        assert client.post("/api/join", json={"code": code, "name": f"Student {i}"}).status_code == 201


# ---- creating exercises -------------------------------------------------------------------------------


def test_creating_needs_the_instructor_key_when_the_server_has_one(tmp_path, monkeypatch):
    monkeypatch.setenv("FACILITATOR_INSTANCE", str(tmp_path / "instance"))
    app = create_app({"TESTING": True, "DATABASE_URL": migrated_url(tmp_path / "k.sqlite3"),
                      "INSTRUCTOR_KEY": "ABCD-EFGH-JKMN"})
    client = app.test_client()
    assert client.get("/api/server").get_json() == {"instructor_key": True}
    missing = client.post("/api/exercises", json={"deck": "demo"})
    assert missing.status_code == 403 and missing.get_json()["error"]["fields"] == {"instructor_key": "missing"}
    wrong = client.post("/api/exercises", json={"deck": "demo", "instructor_key": "ABCD-EFGH-JKMP"})
    assert wrong.status_code == 403 and wrong.get_json()["error"]["fields"] == {"instructor_key": "wrong"}
    right = client.post("/api/exercises", json={"deck": "demo", "instructor_key": "abcd efgh jkmn"})
    assert right.status_code == 201
    assert app.extensions["facilitator"].exercises.list_exercises() and len(
        app.extensions["facilitator"].exercises.list_exercises()) == 1
    app.extensions["facilitator"].db.dispose()


def test_without_a_key_setting_creating_is_open(client):
    assert client.get("/api/server").get_json() == {"instructor_key": False}
    assert client.post("/api/exercises", json={"deck": "demo"}).status_code == 201


def test_one_address_creates_a_bounded_number_of_exercises(tight):
    client = tight.test_client()
    answers = [client.post("/api/exercises", json={"deck": "demo"}, environ_base={"REMOTE_ADDR": "10.1.1.1"})
               for _ in range(5)]
    assert [r.status_code for r in answers] == [201, 201, 201, 429, 429]
    assert "new exercises" in answers[3].get_json()["error"]["message"]
    assert len(tight.extensions["facilitator"].exercises.list_exercises()) == 3
    assert client.post("/api/exercises", json={"deck": "demo"},
                       environ_base={"REMOTE_ADDR": "10.1.1.2"}).status_code == 201


# ---- debug and headers --------------------------------------------------------------------------------


def test_flask_debug_in_the_environment_never_turns_the_debugger_on(tmp_path, monkeypatch):
    monkeypatch.setenv("FLASK_DEBUG", "1")
    monkeypatch.setenv("FACILITATOR_INSTANCE", str(tmp_path / "instance"))
    app = create_app({"DATABASE_URL": migrated_url(tmp_path / "d.sqlite3")})
    assert not app.debug

    @app.get("/boom")
    def boom():
        raise RuntimeError("secret detail")

    response = app.test_client().get("/boom")
    assert response.status_code == 500
    body = response.get_data(as_text=True)
    assert "secret detail" not in body and "Traceback" not in body and "Werkzeug Debugger" not in body
    app.extensions["facilitator"].db.dispose()


def test_the_policy_lets_pages_connect_to_their_own_server_only(client):
    with client.get("/") as response:
        csp = response.headers["Content-Security-Policy"]
    connect = next(part.strip() for part in csp.split(";") if part.strip().startswith("connect-src"))
    assert connect == "connect-src 'self'"


# ---- the instructor archives and deletes from the server's command line -----------------------------------


def test_the_instructor_archives_and_deletes_from_the_command_line_and_both_are_recorded(runner, exercises):
    from facilitator.persistence.models import DeletionRow

    created = exercises.create("demo", "Tuesday")
    result = runner.invoke(args=["exercises", "archive", created.id])
    assert result.exit_code == 0, result.output
    state = exercises.state(created.id)
    assert state.control.archived and state.ended
    archived = [e for e in exercises.events(created.id, UMPIRE_ACTOR) if e.type == "exercise_archived"]
    assert archived[0].actor.name == "Instructor (command line)"
    ended = [e for e in exercises.events(created.id, UMPIRE_ACTOR) if e.type == "exercise_ended"]
    assert ended[0].data["reason"] == "archived by Instructor (command line)"
    assert runner.invoke(args=["exercises", "archive", created.id]).exit_code == 1  # already

    assert runner.invoke(args=["exercises", "delete", created.id], input="n\n").exit_code == 1  # asked, declined
    assert exercises.summary(created.id)["title"] == "Tuesday"
    result = runner.invoke(args=["exercises", "delete", created.id, "--yes"])
    assert result.exit_code == 0 and "Deleted" in result.output
    with exercises.db.read() as session:
        row = session.scalar(select(DeletionRow).where(DeletionRow.exercise_id == created.id))
    assert row.by == "Instructor (command line)" and row.title == "Tuesday"
    assert runner.invoke(args=["exercises", "delete", created.id, "--yes"]).exit_code == 1


def test_limits_can_be_set_from_the_environment_and_a_bad_one_is_named(tmp_path, monkeypatch):
    monkeypatch.setenv("FACILITATOR_INSTANCE", str(tmp_path / "instance"))
    monkeypatch.setenv("FACILITATOR_LIMIT_GUESSES", "[2, 0.5]")
    app = create_app({"DATABASE_URL": migrated_url(tmp_path / "e.sqlite3")})
    assert app.extensions["facilitator"].limits.guesses.rate == Rate(2, 0.5)
    app.extensions["facilitator"].db.dispose()
    monkeypatch.setenv("FACILITATOR_LIMIT_GUESSES", '"lots"')
    with pytest.raises(ValueError, match="LIMIT_GUESSES"):
        create_app({"DATABASE_URL": migrated_url(tmp_path / "f.sqlite3")})


def test_unknown_tokens_at_connect_are_guesses_too(tight):
    socketio = tight.extensions["socketio"]
    created = tight.extensions["facilitator"].exercises.create("demo")
    assert socketio.test_client(tight, auth={"token": created.observer_code}).is_connected()
    refused = []
    for i in range(5):
        client = socketio.test_client(tight, auth={"token": f"GUES-S{i:03d}"})
        assert not client.is_connected()
        refused.append(client)
    right = socketio.test_client(tight, auth={"token": created.observer_code})
    assert not right.is_connected()  # while throttled, even the right code is not tried


def test_flask_run_refuses_to_serve_the_app_so_its_debugger_never_runs(tmp_path):
    import os
    import subprocess
    import sys

    env = {**os.environ, "FLASK_DEBUG": "1", "FACILITATOR_INSTANCE": str(tmp_path / "instance")}
    result = subprocess.run([sys.executable, "-m", "flask", "--app", "facilitator", "run", "--port", "1"],
                            env=env, capture_output=True, text=True, timeout=60)
    assert result.returncode != 0 and "facilitator serve" in result.stderr, result.stderr
    assert "Debug mode" not in result.stdout + result.stderr


def test_an_archived_exercise_is_read_not_added_to(exercises):
    from facilitator.engine import PostMessage, RuleError
    from facilitator.engine.control import ArchiveExercise

    created = exercises.create("demo")
    member, _ = exercises.join(created.join_codes["ukraine"], "Olena")
    exercises.execute(created.id, PostMessage("plenary", "before"), member.actor)
    exercises.execute(created.id, ArchiveExercise(), UMPIRE_ACTOR)
    seq = exercises.state(created.id).seq
    for actor in (member.actor, UMPIRE_ACTOR):
        with pytest.raises(RuleError) as refused:
            exercises.execute(created.id, PostMessage("plenary", "after"), actor)
        assert refused.value.code == "ended" and "archived" in refused.value.message
    exercises.mark_presence(member, True)  # connections still come and go
    assert exercises.state(created.id).seq == seq + 1


def test_wrong_guesses_made_at_once_cannot_overshoot_the_limit(tight):
    from concurrent.futures import ThreadPoolExecutor

    tight.extensions["facilitator"].exercises.create("demo")

    def guess(n: int) -> int:
        return tight.test_client().post("/api/join", json={"code": f"QQQQ-{n:04d}", "name": "x"},
                                        environ_base={"REMOTE_ADDR": "10.0.0.99"}).status_code

    with ThreadPoolExecutor(16) as pool:
        answers = list(pool.map(guess, range(120)))
    assert answers.count(404) <= 5 + 1 and answers.count(429) >= 114, answers  # the burst (5), not a few more


def test_behind_a_trusted_proxy_each_student_has_their_own_guesses(tmp_path, monkeypatch):
    """Behind a reverse proxy every request comes from its address: with ``PROXY_HOPS`` the limits count the
    address the proxy forwards, so one guesser behind it does not lock the class out; a header a client sets
    itself in front of the proxy's changes nothing."""
    monkeypatch.setenv("FACILITATOR_INSTANCE", str(tmp_path / "instance"))
    app = create_app({"TESTING": True, "DATABASE_URL": migrated_url(tmp_path / "p.sqlite3"), "PROXY_HOPS": 1,
                      "LIMIT_GUESSES": Rate(burst=3, per_second=1 / 60)})
    try:
        client = app.test_client()
        created = app.extensions["facilitator"].exercises.create("demo")
        proxy = "127.0.0.1"

        def join(student: str, code: str, spoofed: str = ""):
            forwarded = f"{spoofed}, {student}" if spoofed else student
            return client.post("/api/join", json={"code": code, "name": f"S{student[-3:]}{len(spoofed)}"},
                               environ_base={"REMOTE_ADDR": proxy}, headers={"X-Forwarded-For": forwarded})

        assert [join("10.0.0.66", "AAAA-AAAA").status_code for _ in range(4)] == [404, 404, 404, 429]
        # the guesser's spoofed address in front of the proxy's is not believed
        assert join("10.0.0.66", "AAAA-AAAA", spoofed="10.9.9.9").status_code == 429
        assert join("10.0.0.7", created.join_codes["ukraine"]).status_code == 201  # the class still joins
    finally:
        app.extensions["facilitator"].db.dispose()


@pytest.mark.parametrize("hops", [-1, 9, "two", True])
def test_a_bad_proxy_setting_is_named(tmp_path, monkeypatch, hops):
    monkeypatch.setenv("FACILITATOR_INSTANCE", str(tmp_path / "instance"))
    with pytest.raises(ValueError, match="PROXY_HOPS"):
        create_app({"TESTING": True, "DATABASE_URL": migrated_url(tmp_path / "p.sqlite3"), "PROXY_HOPS": hops})


def test_a_class_connecting_at_once_with_valid_tokens_spends_no_guesses():
    """25 students behind one address connect at the same moment: each token is checked while the others are
    in flight. A personal token is only checked against the limit (its guesses are spent if wrong); a short
    code still holds its guess while it is checked, so codes guessed at once cannot overshoot."""
    from contextlib import ExitStack

    from facilitator.engine import RuleError
    from facilitator.limits import Limiter, guessing
    from facilitator.services.tokens import new_code, new_token

    limiter = Limiter(Rate(burst=20, per_second=1 / 60))
    with ExitStack() as in_flight:
        for _ in range(25):
            in_flight.enter_context(guessing(limiter, "10.0.0.1", new_token()))
    wrong = 0
    for _ in range(25):
        try:
            with guessing(limiter, "10.0.0.1", new_token()) as spent:
                spent()
        except RuleError as refused:
            assert refused.code == "rate_limited"
            break
        wrong += 1
    assert wrong == 20  # wrong tokens are spent all the same
    codes = Limiter(Rate(burst=20, per_second=1 / 60))
    with pytest.raises(RuleError), ExitStack() as in_flight:
        for _ in range(25):
            in_flight.enter_context(guessing(codes, "10.0.0.1", new_code()))


@pytest.mark.parametrize("setting", [("FACILITATOR_PROXY_HOPS", "abc", "PROXY_HOPS"),
                                     ("FACILITATOR_LIMIT_COMMANDS", "abc", "LIMIT_COMMANDS")])
def test_a_bad_setting_stops_the_command_line_with_its_name_and_no_traceback(tmp_path, setting):
    import os
    import subprocess
    import sys
    from pathlib import Path

    name, value, named = setting
    env = {**os.environ, "FACILITATOR_INSTANCE": str(tmp_path / "instance"), name: value}
    done = subprocess.run([str(Path(sys.executable).with_name("facilitator")), "scenarios", "list"], env=env,
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 1 and f"Error: {named}" in done.stderr and "Traceback" not in done.stderr
