"""The address links are built on: the public URL setting, the network address for a server on every
interface, and the request's host otherwise."""

from __future__ import annotations

import ipaddress
import json
import os
import re
import socket
import subprocess
import sys
import time
from pathlib import Path
from urllib.request import ProxyHandler, Request, build_opener

import pytest

from facilitator import create_app
from facilitator.links import PublicUrlError, public_url

from .conftest import free_port, migrated_url

ROOT = Path(__file__).resolve().parent.parent
CONSOLE_SCRIPT = Path(sys.executable).with_name("facilitator")
PUBLIC = "https://class.example.org"
URL = re.compile(r"\b[a-z]+://\S+")
LINK = re.compile(r"\b[a-z]+://\S+#\S+")  # the links handed out carry their code or token after a '#'


def printed_links(output: str) -> list[str]:
    links = LINK.findall(output)
    assert len(links) == 7, output  # umpire, observers, projector, four join links
    return links


# ---- the setting itself -----------------------------------------------------------------------

@pytest.mark.parametrize("value, expected", [
    ("https://class.example.org", "https://class.example.org"),
    ("HTTP://Class.Example.ORG:8080/", "http://class.example.org:8080"),
    ("  http://192.168.1.20:5000  ", "http://192.168.1.20:5000"),
    ("http://[FD00::2]:5000/", "http://[fd00::2]:5000"),
    ("http://classroom-pc.local", "http://classroom-pc.local"),
    (None, None),
    ("", None),
])
def test_a_public_url_is_kept_as_an_origin(value, expected):
    assert public_url(value) == expected


@pytest.mark.parametrize("value, reason", [
    ("ftp://class.example.org", "must start with http:// or https://"),
    ("class.example.org:5000", "must start with http:// or https://"),
    ("http:/class.example.org", "must start with http:// or https://"),
    ("https://", "has no host"),
    ("https://class.example.org/facilitator", "must not have a path ('/facilitator')"),
    ("https://class.example.org/?x=1", "must not have a query"),
    ("https://class.example.org/#top", "or a fragment"),
    ("https://class.example.org:99999", "has an invalid port"),
    ("https://class.example.org:0", "has an invalid port"),
    ("https://class.example.org:", "has an empty port"),
    ("https://ada:secret@class.example.org", "must not contain a user name or password"),
    ("https://class_example!.org", "has an invalid host 'class_example!.org'"),
    ("http://300.1.2.3:5000", "has an invalid IPv4 address '300.1.2.3'"),
    ("http://[fd00::zz]:5000", "has an invalid IPv6 address"),
    ("http://0.0.0.0:5000", "means 'every interface' to a server"),
    ("http://[::]:5000", "means 'every interface' to a server"),
    ("https://class example.org", "contains a space"),
    (5000, "is not a URL"),
])
def test_a_bad_public_url_is_refused_with_what_is_wrong(value, reason):
    with pytest.raises(PublicUrlError) as refused:
        public_url(value)
    assert reason in str(refused.value)
    assert repr(value.strip() if isinstance(value, str) else value) in str(refused.value)


def test_the_app_reads_the_public_url_from_the_environment(tmp_path, monkeypatch):
    monkeypatch.setenv("FACILITATOR_INSTANCE", str(tmp_path / "inst"))
    monkeypatch.setenv("FACILITATOR_PUBLIC_URL", "HTTPS://Class.Example.org/")
    assert create_app({"DATABASE_URL": "sqlite://"}).config["PUBLIC_URL"] == PUBLIC
    monkeypatch.setenv("FACILITATOR_PUBLIC_URL", "")
    assert create_app({"DATABASE_URL": "sqlite://"}).config["PUBLIC_URL"] is None


def test_the_app_refuses_to_start_with_a_bad_public_url(tmp_path, monkeypatch):
    monkeypatch.setenv("FACILITATOR_INSTANCE", str(tmp_path / "inst"))
    monkeypatch.setenv("FACILITATOR_PUBLIC_URL", "http://class.example.org/facilitator")
    with pytest.raises(PublicUrlError, match=r"FACILITATOR_PUBLIC_URL .*must not have a path"):
        create_app({"DATABASE_URL": "sqlite://"})


def test_the_console_script_names_a_bad_public_url_and_exits_non_zero(tmp_path):
    env = {**os.environ, "FACILITATOR_INSTANCE": str(tmp_path / "inst"),
           "DATABASE_URL": migrated_url(tmp_path / "cli.sqlite3"), "FACILITATOR_PUBLIC_URL": "ftp://class.example.org"}
    result = subprocess.run([str(CONSOLE_SCRIPT), "demo"], env=env, capture_output=True, text=True, timeout=60)
    assert result.returncode == 1, result
    assert "FACILITATOR_PUBLIC_URL" in result.stderr and "must start with http:// or https://" in result.stderr
    assert "Traceback" not in result.stderr and not URL.findall(result.stdout)


# ---- links printed by the command line ---------------------------------------------------------

def test_demo_on_every_interface_prints_links_on_this_machines_network_address(runner):
    result = runner.invoke(args=["demo", "--host", "0.0.0.0", "--port", "5000"])
    assert result.exit_code == 0, result.output
    links = printed_links(result.output)
    assert not any("0.0.0.0" in link for link in links)
    hosts = {re.match(r"http://([^/:]+):5000/", link).group(1) for link in links}
    assert len(hosts) == 1
    address = ipaddress.ip_address(hosts.pop())
    assert not address.is_unspecified
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        probe.bind((str(address), 0))  # an address of this machine, or this fails
    assert "--public-url" in result.output  # how to choose another address
    if address.is_loopback:  # a machine without any network: said plainly
        assert "No network address found" in result.output
    else:
        assert f"links use this machine's network address {address}." in result.output


def test_exercises_create_on_every_ipv6_interface_also_uses_the_network_address(runner):
    result = runner.invoke(args=["exercises", "create", "demo", "--host", "::", "--port", "8000"])
    assert result.exit_code == 0, result.output
    assert all(re.match(r"http://[0-9.]+:8000/", link) for link in printed_links(result.output)), result.output


def test_a_specific_host_is_used_as_given(runner):
    result = runner.invoke(args=["demo", "--host", "localhost", "--port", "8123"])
    assert result.exit_code == 0, result.output
    assert all(link.startswith("http://localhost:8123/") for link in printed_links(result.output))
    ipv6 = runner.invoke(args=["demo", "--host", "::1"])
    assert all(link.startswith("http://[::1]:5000/") for link in printed_links(ipv6.output))


@pytest.mark.parametrize("command", [["demo"], ["exercises", "create", "demo"]])
def test_every_printed_link_starts_with_the_public_url(runner, command):
    result = runner.invoke(args=[*command, "--host", "0.0.0.0", "--public-url", PUBLIC + "/"])
    assert result.exit_code == 0, result.output
    for link in printed_links(result.output):
        assert link.startswith(PUBLIC + "/"), link
    assert "network address" not in result.output


def test_printed_links_follow_the_configured_public_url(app, runner):
    app.config["PUBLIC_URL"] = "http://classroom-pc.local:5000"
    result = runner.invoke(args=["demo"])
    assert all(link.startswith("http://classroom-pc.local:5000/") for link in printed_links(result.output))
    chosen = runner.invoke(args=["demo", "--public-url", PUBLIC])  # the option wins over the setting
    assert all(link.startswith(PUBLIC + "/") for link in printed_links(chosen.output))


@pytest.mark.parametrize("command", [["demo"], ["serve"], ["exercises", "create", "demo"]])
def test_a_bad_public_url_option_is_a_clear_error(runner, command):
    result = runner.invoke(args=[*command, "--public-url", "http://class.example.org/join"])
    assert result.exit_code == 2
    assert "Invalid value for '--public-url': 'http://class.example.org/join': must not have a path ('/join')" \
        in result.output
    assert not URL.findall(result.output.split("Error:")[0])  # no links were printed


# ---- links made by the REST API ----------------------------------------------------------------

def all_links(body: dict) -> list[str]:
    return [body["umpire"]["url"], body["observer"]["url"], body["observer"]["projector_url"],
            *(d["url"] for d in body["delegations"])]


def test_created_links_use_the_configured_public_url_whatever_host_was_asked(tmp_path, monkeypatch):
    monkeypatch.setenv("FACILITATOR_INSTANCE", str(tmp_path / "inst"))
    monkeypatch.setenv("FACILITATOR_PUBLIC_URL", PUBLIC + "/")
    app = create_app({"TESTING": True, "DATABASE_URL": migrated_url(tmp_path / "api.sqlite3")})
    try:
        response = app.test_client().post("/api/exercises", json={"deck": "demo"}, base_url="http://127.0.0.1:5000")
        assert response.status_code == 201, response.get_json()
        body = response.get_json()
        assert body["umpire"]["url"] == f"{PUBLIC}/umpire#token={body['umpire']['token']}"
        assert body["observer"]["projector_url"] == f"{PUBLIC}/projector#code={body['observer']['code']}"
        assert all(link.startswith(PUBLIC + "/") for link in all_links(body))
        assert "127.0.0.1" not in response.get_data(as_text=True)
    finally:
        app.extensions["facilitator"].db.dispose()


def test_without_a_public_url_created_links_use_the_requests_host(client):
    response = client.post("/api/exercises", json={"deck": "demo"}, base_url="http://192.168.1.20:5000")
    assert response.status_code == 201
    assert all(link.startswith("http://192.168.1.20:5000/") for link in all_links(response.get_json()))


def serve_and_create(tmp_path, *args, headers: dict | None = None) -> tuple[dict, str]:
    """Run `facilitator serve ARGS`, create an exercise through 127.0.0.1 (with the instructor key when the
    server made one); returns the links and the output."""
    port = free_port()
    env = {**os.environ, "FACILITATOR_INSTANCE": str(tmp_path / "inst"),
           "DATABASE_URL": migrated_url(tmp_path / "serve.sqlite3")}
    env.pop("FACILITATOR_PUBLIC_URL", None)
    server = subprocess.Popen([str(CONSOLE_SCRIPT), "serve", "--port", str(port), *args], env=env,
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                assert server.poll() is None and time.monotonic() < deadline, server.stdout.read()
                time.sleep(0.1)
        body = {"deck": "demo"}
        key_file = tmp_path / "inst" / "instructor_key"
        if key_file.exists():
            body["instructor_key"] = key_file.read_text().strip()
        request = Request(f"http://127.0.0.1:{port}/api/exercises", data=json.dumps(body).encode(),
                          headers={"Content-Type": "application/json", **(headers or {})}, method="POST")
        with build_opener(ProxyHandler({})).open(request, timeout=10) as response:
            body = json.load(response)
    finally:
        server.terminate()
        output, _ = server.communicate(timeout=10)
    return body, output.replace(str(port), "PORT")


def test_serve_with_a_public_url_makes_links_on_it(tmp_path):
    body, output = serve_and_create(tmp_path, "--host", "127.0.0.1", "--public-url", PUBLIC)
    assert all(link.startswith(PUBLIC + "/") for link in all_links(body))
    assert f"Serving (Werkzeug, threads) on http://127.0.0.1:PORT/; links use {PUBLIC}/" in output
    # Others reach it (through a reverse proxy): creating exercises and the private print sheets need the key.
    assert "Instructor key" in output and (tmp_path / "inst" / "instructor_key").exists()


def test_serving_the_room_makes_links_on_the_network_address_even_from_a_page_opened_locally(tmp_path):
    """The instructor opens the home page as 127.0.0.1; the students' links must still work on their devices."""
    from facilitator.links import lan_address
    body, output = serve_and_create(tmp_path, "--host", "0.0.0.0")
    address = lan_address()  # this machine's address on its network, as the server finds it
    links = all_links(body)
    assert links and all(link.startswith(f"http://{address}:") for link in links), (address, links)
    assert not any("0.0.0.0" in link for link in links)
    assert f"links use http://{address}:PORT/" in output


def test_serve_builds_links_on_its_own_address_whatever_host_header_a_request_carries(tmp_path):
    body, output = serve_and_create(tmp_path, "--host", "127.0.0.1", headers={"Host": "evil.example:80"})
    links = all_links(body)
    assert links and all(link.startswith("http://127.0.0.1:") for link in links), links
    assert "evil" not in json.dumps(body)
