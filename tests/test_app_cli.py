"""The app factory's configuration and the command line."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import yaml

from facilitator import create_app
from facilitator.persistence.migrate import current_revision, head_revision

ROOT = Path(__file__).resolve().parent.parent


def test_secret_key_is_generated_once_and_kept_in_the_instance_folder(tmp_path, monkeypatch):
    monkeypatch.setenv("FACILITATOR_INSTANCE", str(tmp_path / "inst"))
    monkeypatch.delenv("SECRET_KEY", raising=False)
    first = create_app({"DATABASE_URL": f"sqlite:///{tmp_path / 'a.sqlite3'}"})
    second = create_app({"DATABASE_URL": f"sqlite:///{tmp_path / 'a.sqlite3'}"})
    assert len(first.config["SECRET_KEY"]) >= 32
    assert first.config["SECRET_KEY"] == second.config["SECRET_KEY"]
    assert (tmp_path / "inst" / "secret_key").read_text().strip() == first.config["SECRET_KEY"]
    other = tmp_path / "other"
    monkeypatch.setenv("FACILITATOR_INSTANCE", str(other))
    assert create_app({"DATABASE_URL": "sqlite://"}).config["SECRET_KEY"] != first.config["SECRET_KEY"]


def test_configuration_comes_from_the_environment(tmp_path, monkeypatch):
    monkeypatch.setenv("FACILITATOR_INSTANCE", str(tmp_path / "inst"))
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'env.sqlite3'}")
    monkeypatch.setenv("SECRET_KEY", "from-the-environment")
    monkeypatch.setenv("SOCKETIO_MESSAGE_QUEUE", "")
    app = create_app()
    assert app.config["DATABASE_URL"].endswith("env.sqlite3")
    assert app.config["SECRET_KEY"] == "from-the-environment"
    assert app.config["SOCKETIO_MESSAGE_QUEUE"] is None
    assert not (tmp_path / "inst" / "secret_key").exists()


def test_default_database_is_a_sqlite_file_in_the_instance_folder(tmp_path, monkeypatch):
    monkeypatch.setenv("FACILITATOR_INSTANCE", str(tmp_path / "inst"))
    monkeypatch.delenv("DATABASE_URL", raising=False)
    app = create_app()
    assert app.config["DATABASE_URL"] == f"sqlite:///{(tmp_path / 'inst' / 'facilitator.sqlite3').resolve()}"


def test_db_upgrade_creates_the_schema_and_a_second_run_reports_nothing_to_do(tmp_path, monkeypatch):
    monkeypatch.setenv("FACILITATOR_INSTANCE", str(tmp_path / "inst"))
    app = create_app({"DATABASE_URL": f"sqlite:///{tmp_path / 'fresh.sqlite3'}"})
    runner = app.test_cli_runner()
    first = runner.invoke(args=["db", "upgrade"])
    assert first.exit_code == 0, first.output
    assert "already up to date" not in first.output
    second = runner.invoke(args=["db", "upgrade"])
    assert second.exit_code == 0 and "already up to date" in second.output
    with app.app_context():
        assert current_revision(app.extensions["facilitator"].db) == head_revision(app.extensions["facilitator"].db) == "0004"


def test_scenarios_validate_passes_on_the_shipped_decks(runner):
    result = runner.invoke(args=["scenarios", "validate", str(ROOT / "scenarios")])
    assert result.exit_code == 0, result.output
    assert "All decks are valid." in result.output


def test_scenarios_validate_prints_every_problem_and_exits_non_zero(runner, tmp_path):
    deck = yaml.safe_load((ROOT / "scenarios" / "demo.yaml").read_text())
    deck["id"] = "broken"
    deck["signals"][3]["effects"]["trust"] = "a lot"
    (tmp_path / "broken.yaml").write_text(yaml.safe_dump(deck))
    deck = yaml.safe_load((ROOT / "scenarios" / "demo.yaml").read_text())
    deck["id"] = "unknown"
    deck["tables"][0]["delegations"].append("atlantis")
    deck["injects"][1]["schedule"]["phase"] = "overtime"
    (tmp_path / "unknown.yaml").write_text(yaml.safe_dump(deck))
    (tmp_path / "syntax.yaml").write_text("id: syntax\ntitle: [unclosed\n")
    result = runner.invoke(args=["scenarios", "validate", str(tmp_path)])
    assert result.exit_code == 1
    assert f"{tmp_path / 'broken.yaml'}: signals[3].effects.trust: Not a valid integer." in result.output
    assert "unknown.yaml: tables[0].delegations[2]: Unknown delegation 'atlantis'." in result.output
    assert "unknown.yaml: injects[1].schedule.phase: Unknown phase 'overtime'." in result.output
    assert re.search(r"syntax\.yaml: line \d+, column \d+: Not valid YAML", result.output)
    assert "4 problem(s)." in result.output


def test_scenarios_validate_names_a_missing_path(runner, tmp_path):
    result = runner.invoke(args=["scenarios", "validate", str(tmp_path / "nowhere.yaml")])
    assert result.exit_code == 1 and "nowhere.yaml: no such file or folder" in result.output


def test_demo_creates_the_demo_exercise_once_and_prints_working_links(app, runner, client):
    first = runner.invoke(args=["demo", "--port", "5000"])
    assert first.exit_code == 0, first.output
    umpire = re.search(r"Umpire console:\s+(http://127\.0\.0\.1:5000/umpire#token=(\S+))", first.output)
    joins = re.findall(r"http://127\.0\.0\.1:5000/join#code=([A-Z0-9-]+)", first.output)
    assert umpire and len(joins) == 4
    response = client.post("/api/join", json={"code": joins[0], "name": "Ada"})
    assert response.status_code == 201, response.json
    second = runner.invoke(args=["demo"])
    with app.app_context():
        listed = app.extensions["facilitator"].exercises.list_exercises()
    assert [e["deck"] for e in listed] == ["demo"]  # reused, not duplicated
    assert client.post("/api/join", json={"code": joins[1], "name": "Bo"}).status_code == 404  # old codes revoked
    new_code = re.findall(r"/join#code=([A-Z0-9-]+)", second.output)[1]
    assert client.post("/api/join", json={"code": new_code, "name": "Bo"}).status_code == 201
    with app.app_context():
        identity = app.extensions["facilitator"].exercises.identify(
            re.search(r"umpire#token=(\S+)", second.output).group(1))
    assert identity is not None and identity.actor.is_umpire


def test_exercises_create_prints_links_for_a_deck(runner):
    result = runner.invoke(args=["exercises", "create", "demo", "--title", "Tuesday seminar"])
    assert result.exit_code == 0, result.output
    assert "Tuesday seminar" in result.output and "/umpire#token=" in result.output


def test_home_page_is_served_with_a_content_security_policy(client):
    with client.get("/") as response:
        assert response.status_code == 200
        policy = response.headers["Content-Security-Policy"]
    assert "script-src 'self'" in policy and "unsafe-inline" not in policy


def test_broken_deck_in_the_scenarios_folder_is_reported_when_listing(tmp_path, monkeypatch):
    scenarios = tmp_path / "scenarios"
    scenarios.mkdir()
    shutil.copy(ROOT / "scenarios" / "demo.yaml", scenarios / "demo.yaml")
    (scenarios / "bad.yaml").write_text("id: bad\n")
    monkeypatch.setenv("FACILITATOR_INSTANCE", str(tmp_path / "inst"))
    app = create_app({"DATABASE_URL": "sqlite://", "SCENARIOS_DIR": str(scenarios)})
    result = app.test_cli_runner().invoke(args=["scenarios", "list"])
    assert result.exit_code != 0
    assert "bad.yaml: title: Missing data for required field." in str(result.exception)


def test_demo_never_reissues_the_links_of_an_exercise_the_facilitator_made_from_the_demo_deck(app, runner, client):
    made = client.post("/api/exercises", json={"deck": "demo", "title": "Tuesday class"}).json
    runner.invoke(args=["demo"])
    runner.invoke(args=["demo"])
    assert client.post("/api/join", json={"code": made["delegations"][0]["code"], "name": "Ada"}).status_code == 201
    assert client.get("/api/whoami", headers={"Authorization": f"Bearer {made['umpire']['token']}"}).status_code == 200
    with app.app_context():
        listed = app.extensions["facilitator"].exercises.list_exercises()
    assert sorted(e["origin"] or "" for e in listed) == ["", "demo"]  # its own demo, made once, beside the class


def test_the_cli_reissues_a_lost_umpire_link_and_any_seat_of_any_exercise(app, runner, client):
    made = client.post("/api/exercises", json={"deck": "demo"}).json
    old = made["umpire"]["token"]
    result = runner.invoke(args=["exercises", "reissue", made["id"], "umpire", "--port", "5000"])
    assert result.exit_code == 0, result.output
    token = re.search(r"/umpire#token=(\S+)", result.output).group(1)
    assert client.get("/api/whoami", headers={"Authorization": f"Bearer {old}"}).status_code == 401
    assert client.get("/api/whoami", headers={"Authorization": f"Bearer {token}"}).json["role"] == "umpire"
    result = runner.invoke(args=["exercises", "reissue", made["id"], "russia"])
    code = re.search(r"/join#code=(\S+)", result.output).group(1)
    assert client.post("/api/join", json={"code": code, "name": "Ivan"}).json["delegation"] == "russia"
    bad = runner.invoke(args=["exercises", "reissue", made["id"], "participant:nobody"])
    assert bad.exit_code == 1 and "no participant 'nobody'" in bad.output
