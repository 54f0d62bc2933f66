"""The app factory's configuration and the command line."""

from __future__ import annotations

import errno
import json
import os
import re
import shutil
import stat
from pathlib import Path

import yaml

from facilitator import cli, create_app
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
        assert current_revision(app.extensions["facilitator"].db) == head_revision(app.extensions["facilitator"].db)


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


# ---- files the commands write and read ------------------------------------------------------------------


def test_a_file_that_cannot_be_written_is_one_error_line_and_exit_1(runner, exercises, tmp_path, monkeypatch):
    """Every command that writes a file: a missing folder, a folder, a path through a file, a file it may not
    write. Never a traceback; an existing file is left as it was."""
    made = exercises.create("demo")
    nowhere = tmp_path / "nowhere"
    (tmp_path / "plain").write_text("a file, not a folder")
    writers = {"report": lambda out: ["exercises", "report", made.id, "--out", str(out), "--format", "html"],
               "export": lambda out: ["exercises", "export", made.id, "--out", str(out)],
               "event list": lambda out: ["event-list", "export", made.id, str(out)]}
    for what, args in writers.items():
        for path, reason in ((nowhere / "dir" / "x.html", "no such folder"), (tmp_path, "it is a folder"),
                             (tmp_path / "plain" / "x.csv", "a part of the path is not a folder")):
            result = runner.invoke(args=args(path))
            assert result.exit_code == 1, (what, result.output)
            assert result.output.strip() == f"Error: cannot write {path}: {reason}", what
            assert "Traceback" not in result.output and isinstance(result.exception, SystemExit)
    assert not nowhere.exists()

    kept = tmp_path / "kept.html"
    kept.write_text("the report from last week")
    real_access = os.access  # as if it were read-only (the tests may run as root, whom a mode does not stop)
    monkeypatch.setattr(os, "access", lambda p, mode, **kw: False if Path(p) == kept and mode & os.W_OK
                        else real_access(p, mode, **kw))
    for what, args in writers.items():
        result = runner.invoke(args=args(kept))
        assert result.exit_code == 1 and f"Error: cannot write {kept}: permission denied" in result.output, what
    assert kept.read_text() == "the report from last week"


def test_a_write_that_fails_half_way_leaves_the_existing_file_whole(runner, exercises, tmp_path, monkeypatch):
    made = exercises.create("demo")
    out = tmp_path / "tuesday.jsonl"
    out.write_text("last week's export\n")
    out.chmod(0o640)
    refused = runner.invoke(args=["exercises", "export", made.id, "--as", "atlantis", "--out", str(out)])
    assert refused.exit_code == 1 and out.read_text() == "last week's export\n"

    def full_disk(*args, **kwargs):
        yield '{"format": "facilitator-exercise"}\n'
        raise OSError(errno.ENOSPC, "No space left on device")

    with monkeypatch.context() as patch:
        patch.setattr(cli, "export_log_jsonl", full_disk)
        result = runner.invoke(args=["exercises", "export", made.id, "--out", str(out)])
    assert result.exit_code == 1, result.output
    assert result.output.strip() == f"Error: cannot write {out}: no space left on the device"
    assert out.read_text() == "last week's export\n"
    assert not list(tmp_path.glob("*.part")) and not list(tmp_path.glob(".*"))  # no part-written file beside it

    written = runner.invoke(args=["exercises", "export", made.id, "--out", str(out)])
    assert written.exit_code == 0, written.output
    assert out.read_text().startswith('{"format":"facilitator-exercise"')
    assert stat.S_IMODE(out.stat().st_mode) == 0o640  # the file it replaced kept its permissions
    fresh = tmp_path / "fresh.jsonl"
    assert runner.invoke(args=["exercises", "export", made.id, "--out", str(fresh)]).exit_code == 0
    assert stat.S_IMODE(fresh.stat().st_mode) == 0o600  # a new one is private: it holds private chats


def test_a_file_that_cannot_be_read_is_one_error_line_and_exit_1(runner, exercises, tmp_path):
    made = exercises.create("demo")
    missing = tmp_path / "nowhere" / "x.jsonl"
    for args, path, reason in ((["exercises", "import", str(missing)], missing, "no such file"),
                               (["exercises", "import", str(tmp_path)], tmp_path, "it is a folder"),
                               (["event-list", "import", made.id, str(missing)], missing, "no such file"),
                               (["event-list", "import", made.id, str(tmp_path)], tmp_path, "it is a folder")):
        result = runner.invoke(args=args)
        assert result.exit_code == 1, result.output
        assert result.output.strip() == f"Error: cannot read {path}: {reason}"
        assert isinstance(result.exception, SystemExit)
    exported = runner.invoke(args=["event-list", "export", made.id])
    from_stdin = runner.invoke(args=["event-list", "import", made.id, "-"], input=exported.stdout_bytes)
    assert from_stdin.exit_code == 0 and from_stdin.output.startswith("Imported ")


def test_the_reasons_are_in_words():
    assert str(cli.file_problem("write", "x", PermissionError(errno.EACCES, "Permission denied")).message) == \
        "cannot write x: permission denied"
    assert cli.file_problem("read", "x", FileNotFoundError(errno.ENOENT, "No such file")).message == \
        "cannot read x: no such file"
    assert cli.file_problem("write", "x", OSError(errno.EROFS, "Read-only file system")).message == \
        "cannot write x: the file system is read-only"
    assert cli.file_problem("write", "x", OSError(errno.EIO, "Input/output error")).message == \
        "cannot write x: input/output error"


# ---- --as: a perspective as a person types it -----------------------------------------------------------


def test_as_takes_a_delegation_by_id_d_id_or_name_in_any_case(runner, exercises, tmp_path):
    made = exercises.create("three-track-talks", "Three tracks")
    for typed, key in (("Ukraine", "d:ukraine"), ("D:ukraine", "d:ukraine"), ("UKRAINE", "d:ukraine"),
                       ("United States", "d:united-states"), ("d:United States", "d:united-states"),
                       ("united-states", "d:united-states"), ("Public", "public"), ("umpire", "umpire")):
        result = runner.invoke(args=["exercises", "export", made.id, "--as", typed])
        assert result.exit_code == 0, (typed, result.output)
        assert json.loads(result.stdout_bytes.split(b"\n", 1)[0])["perspective"] == key, typed
    report = runner.invoke(args=["exercises", "report", made.id, "--as", "United States", "--out",
                                 str(tmp_path / "us.html")])
    assert report.exit_code == 0 and "as United States (what its delegation was told)" in report.output

    for command in (["exercises", "export", made.id, "--as", "Atlantis"],
                    ["exercises", "report", made.id, "--as", "Atlantis", "--out", str(tmp_path / "a.html")]):
        refused = runner.invoke(args=command)
        assert refused.exit_code == 1
        assert "no perspective 'Atlantis'" in refused.output and "replay" not in refused.output.casefold()
        assert re.search(r"United States +united-states\n", refused.output)
        assert re.search(r"Exercise control +umpire\n", refused.output)
        assert re.search(r"The public +public\n", refused.output)
    assert not (tmp_path / "a.html").exists()


def test_the_shell_carries_the_clients_build_and_is_revalidated_by_it(client, app, tmp_path):
    """Every page's shell names the build of the client (a hash of the static files, which a changed file
    changes and a note does not), answers a revalidation with 304 while the build is the same, and the shell
    again once it is not (the server was upgraded)."""
    from facilitator.pages import client_build

    build = app.extensions["client_build"]
    first = client.get("/play")
    assert first.status_code == 200 and f'<meta name="facilitator-build" content="{build}">' in first.text
    assert first.headers["ETag"] == f'"{build}"'
    again = client.get("/play", headers={"If-None-Match": first.headers["ETag"]})
    assert again.status_code == 304
    app.extensions["client_build"] = "0123456789abcdef"
    upgraded = client.get("/play", headers={"If-None-Match": first.headers["ETag"]})
    assert upgraded.status_code == 200 and 'content="0123456789abcdef"' in upgraded.text

    folder = tmp_path / "static"
    (folder / "js").mkdir(parents=True)
    (folder / "js" / "app.js").write_text("console.log(1);")
    one = client_build(folder)
    (folder / "README.md").write_text("notes")
    assert client_build(folder) == one
    (folder / "js" / "app.js").write_text("console.log(2);")
    assert client_build(folder) != one and len(one) == 16
