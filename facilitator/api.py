"""REST: scenarios, exercises, joining, and reading the log. JSON in, JSON out, one error envelope."""

from __future__ import annotations

import io

import segno
from flask import Blueprint, Flask, Response, current_app, jsonify, request
from marshmallow import ValidationError
from werkzeug.exceptions import HTTPException

from .extensions import services
from .engine import RuleError
from .engine.audience import DELEGATION, OBSERVER
from .links import links
from .schemas import WireError, error_body
from .schemas.api import CreateExercise, EventQuery, Join

bp = Blueprint("api", __name__, url_prefix="/api")

STATUS = {"not_found": 404, "forbidden": 403, "bad_token": 401, "bad_code": 404, "conflict": 409, "stale": 409,
          "name_taken": 409}
QR_MAX_DATA = 512  # characters; a join link is well under 100
HTTP_CODES = {404: "not_found", 405: "method_not_allowed", 413: "too_large", 500: "internal"}


def init_app(app: Flask) -> None:
    app.register_blueprint(bp)

    @app.errorhandler(HTTPException)
    def http_error(exc: HTTPException):
        if not request.path.startswith("/api/"):
            return exc
        code = HTTP_CODES.get(exc.code, "http_error")
        return jsonify(error_body(WireError(code, exc.description or exc.name))), exc.code


@bp.errorhandler(WireError)
def wire_error(exc: WireError):
    return jsonify(error_body(exc)), exc.status


@bp.errorhandler(RuleError)
def rule_error(exc: RuleError):
    return jsonify(error_body(exc)), STATUS.get(exc.code, 400)


def _body(schema):
    data = request.get_json(silent=True)
    if not isinstance(data, dict):
        raise WireError("invalid", "Send a JSON object (Content-Type: application/json).", {"": "not JSON"})
    try:
        return schema().load(data)
    except ValidationError as exc:
        raise WireError.from_validation(exc) from None


def _bearer():
    """The caller's identity from ``Authorization: Bearer <token>``."""
    header = request.headers.get("Authorization", "")
    token = header[7:].strip() if header.lower().startswith("bearer ") else ""
    identity = services().exercises.identify(token)
    if identity is None:
        raise WireError("bad_token", "Missing or unknown token: send 'Authorization: Bearer <token>'.", status=401)
    return identity


@bp.get("/scenarios")
def list_scenarios():
    return jsonify([_scenario(loaded.deck) for loaded in services().catalog.list()])


def _scenario(deck) -> dict:
    return {"id": deck.id, "title": deck.title, "summary": deck.summary, "audience": deck.audience,
            "minutes": sum(p.minutes for p in deck.phases),
            "phases": [{"id": p.id, "name": p.name, "minutes": p.minutes} for p in deck.phases],
            "delegations": [{"id": d.id, "name": d.name, "kind": d.kind} for d in deck.delegations],
            "tables": [{"id": t.id, "name": t.name} for t in deck.tables]}


@bp.post("/exercises")
def create_exercise():
    """Create an exercise; its links are on the public URL when one is configured, else on the request's host."""
    body = _body(CreateExercise)
    created = services().exercises.create(body["deck"], body["title"])
    deck = services().catalog.get(created.deck_id).deck
    base = current_app.config.get("PUBLIC_URL") or request.host_url
    return jsonify(links(base, created, {d.id: d.name for d in deck.delegations})), 201


@bp.get("/exercises/<exercise_id>")
def exercise_summary(exercise_id: str):
    return jsonify(services().exercises.summary(exercise_id))


@bp.post("/join")
def join():
    """Trade a delegation's join code and a display name for a personal token (or an observer's code as is)."""
    body = _body(Join)
    exercises = services().exercises
    observer = exercises.identify(body["code"].strip().upper())
    if observer is not None and observer.actor.role == OBSERVER:
        return jsonify({"token": body["code"].strip().upper(), "exercise": observer.exercise_id, "role": OBSERVER})
    if not (body["name"] or "").strip():
        raise WireError("invalid", "Choose a display name.", {"name": "required"})
    identity, token = exercises.join(body["code"], body["name"])
    return jsonify({"token": token, "exercise": identity.exercise_id, "role": DELEGATION,
                    "delegation": identity.actor.delegation, "participant": identity.actor.participant,
                    "name": identity.actor.name}), 201


@bp.get("/whoami")
def whoami():
    """The exercise and role a bearer token opens (the umpire link carries only its token, and the client
    needs the exercise id to page history in). 401 ``bad_token`` if none. Never returns a token."""
    identity = _bearer()
    actor = identity.actor
    response = jsonify({"exercise": identity.exercise_id, "role": actor.role, "delegation": actor.delegation,
                        "participant": actor.participant, "name": actor.name})
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.get("/qr.svg")
def qr_code():
    """A QR code (SVG, drawn here by segno) for ``data``, a link or a code of 1 to 512 characters, so join
    links can be scanned from a projector or a printed sheet without any outside service."""
    data = request.args.get("data", "")
    if not data or len(data) > QR_MAX_DATA:
        raise WireError("invalid", f"Give 'data' of 1 to {QR_MAX_DATA} characters.", {"data": "1 to 512 characters"})
    buffer = io.BytesIO()
    segno.make(data, error="m", micro=False).save(buffer, kind="svg", scale=4, border=2, xmldecl=False,
                                                  title="QR code", dark="#000", light="#fff", omitsize=True)
    response = Response(buffer.getvalue(), mimetype="image/svg+xml")
    response.headers["Cache-Control"] = "private, max-age=86400"
    return response


@bp.get("/exercises/<exercise_id>/events")
def list_events(exercise_id: str):
    """The caller's view of the log, for paging history in: ``after``, ``before``, ``limit``, ``channel``."""
    identity = _bearer()
    if identity.exercise_id != exercise_id:
        raise WireError("forbidden", "This token belongs to another exercise.", status=403)
    try:
        query = EventQuery().load(request.args)
    except ValidationError as exc:
        raise WireError.from_validation(exc, "query") from None
    page, more = services().exercises.page(exercise_id, identity.actor, after=query["after"], before=query["before"],
                                           limit=query["limit"], channel=query["channel"])
    deck = services().exercises.deck(exercise_id)
    return jsonify({"events": [e.to_dict(deck) for e in page], "more": more})
