"""docs/protocol.md and the server's words stay true to the engine: every command and event type is
documented, every event type is described in words for every client, and the layers import one way."""

from __future__ import annotations

import ast
import re
import dataclasses
import typing
from pathlib import Path

import pytest

from facilitator.decks.catalog import DeckCatalog
from facilitator.engine import COMMANDS, EVENTS
from facilitator.engine.core import Description, hints

ROOT = Path(__file__).resolve().parents[1]
PROTOCOL = (ROOT / "docs" / "protocol.md").read_text(encoding="utf-8")


@pytest.mark.parametrize("type_name", sorted(COMMANDS))
def test_every_command_type_is_in_the_protocol_document(type_name):
    command = COMMANDS[type_name]
    heading = f"**`{type_name}`**"
    if command.CLIENT:
        assert heading in PROTOCOL, f"{type_name}: no paragraph '{heading}' in docs/protocol.md"
    else:
        assert f"`{type_name}`" in PROTOCOL.split("### Sent by the server only", 1)[1]


@pytest.mark.parametrize("type_name", sorted(EVENTS))
def test_every_event_type_is_in_the_protocol_document_with_its_version(type_name):
    version = EVENTS[type_name].VERSION
    row = f"| `{type_name}` (v{version}) |" if version > 1 else f"| `{type_name}` |"
    assert row in PROTOCOL, f"{type_name}: no row '{row}' in the event types of docs/protocol.md"


def _sample(hint, name: str):
    """A plausible value for one field of an event record, on the demo deck."""
    hint = typing.get_args(hint)[0] if typing.get_origin(hint) is typing.Annotated else hint
    options = [a for a in typing.get_args(hint) if a is not type(None)]
    if typing.get_origin(hint) in (typing.Union, getattr(__import__("types"), "UnionType")) and options:
        hint = options[0]
    if typing.get_origin(hint) is tuple:
        inner = typing.get_args(hint)[0]
        if dataclasses.is_dataclass(inner):
            return (_build(inner),)
        return ("ukraine", "russia")
    if dataclasses.is_dataclass(hint):
        return _build(hint)
    if hint is bool:
        return True
    if hint is int:
        return 2
    if hint is float:
        return 0.25
    if hint is dict:
        return {}
    return {"delegation": "ukraine", "by": "ukraine", "drafted_by": "ukraine", "amended_by": "russia",
            "answering": "russia", "table": "corridor", "channel": "table:corridor"}.get(name, f"some {name}")


def _build(cls):
    return cls(**{name: _sample(hint, name) for name, hint in hints(cls).items()})


@pytest.mark.parametrize("type_name", sorted(EVENTS))
def test_every_event_type_is_described_in_words_for_every_client(type_name):
    """The browser, replays and exports show the server's ``summary``: each type must make one."""
    deck = DeckCatalog(ROOT / "scenarios", ROOT / "seeds").get("demo").deck
    described = _build(EVENTS[type_name]).describe(deck)
    assert isinstance(described, Description) and described.title.strip()
    assert described.kind in {"people", "presence", "chat", "channel", "signal", "indicator", "alert", "relation",
                              "inject", "phase", "clock", "proposal", "agreement", "risk", "move", "bookmark",
                              "debrief"}
    assert f"`{described.kind}`" in PROTOCOL.split("`summary`", 1)[1]


# ---- layers -----------------------------------------------------------------------------------------

def _imports(path: Path) -> set[str]:
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom):
            found.add(("." * node.level) + (node.module or ""))
    return found


def test_no_interface_imports_the_app_factory():
    """``app.py`` wires the interfaces; they reach services and Socket.IO through ``extensions.py``. The entry
    points make the app: the command line, and the production server's worker (production.py)."""
    package = ROOT / "facilitator"
    offenders = [p.name for p in package.glob("*.py")
                 if p.name not in ("__init__.py", "app.py", "cli.py", "production.py")
                 and {".app", "facilitator.app"} & _imports(p)]
    assert offenders == []
    cli = (package / "cli.py").read_text(encoding="utf-8")
    assert cli.count("from .app import") == 1 and "def main()" in cli.split("from .app import", 1)[0]


def test_pages_serve_pages_only(app):
    endpoints = {rule.endpoint for rule in app.url_map.iter_rules() if rule.endpoint.startswith("pages.")}
    assert endpoints == {"pages.page"}


@pytest.mark.parametrize("type_name", sorted(n for n, c in COMMANDS.items() if c.CLIENT))
def test_every_client_command_has_a_wire_schema(type_name):
    """Every field of every command a client may send travels: nested records, booleans, optional fields."""
    from facilitator.schemas.commands import schema_for

    schema = schema_for(COMMANDS[type_name])()
    assert "type" in schema.fields and "command_id" in schema.fields


def test_every_rest_endpoint_is_in_the_protocol_document(app):
    """Each route under /api, with each of its methods, is named in docs/protocol.md as ``METHOD /api/…``
    (``<exercise_id>`` written ``<id>``)."""
    flat = " ".join(PROTOCOL.split())
    missing = []
    for rule in app.url_map.iter_rules():
        if not rule.rule.startswith("/api"):
            continue
        path = re.sub(r"<(?:\w+:)?exercise_id>", "<id>", rule.rule)
        path = re.sub(r"<(?:\w+:)?(\w+)>", r"<\1>", path)
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            if f"{method} {path}" not in flat:
                missing.append(f"{method} {path}")
    assert missing == []
