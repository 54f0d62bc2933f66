"""REST: scenarios, exercises, joining, reading the log, and the event list as CSV. JSON in, JSON out (but for
the CSV file), one error envelope."""

from __future__ import annotations

import io
import math
import re
import unicodedata
from contextlib import contextmanager
from urllib.parse import quote

import segno
from flask import Blueprint, Flask, Response, current_app, jsonify, request
from marshmallow import ValidationError
from werkzeug.exceptions import HTTPException, RequestEntityTooLarge

from .extensions import broadcaster, services
from .engine import RuleError
from .engine.audience import DELEGATION, OBSERVER
from .engine.visibility import replay_keys
from .event_list_csv import MAX_BYTES as MAX_CSV_BYTES, CsvError, decode, export_csv, import_csv
from .limits import guessing
from .links import links, seat_link
from .report import FORMATS as REPORT_FORMATS, PdfUnavailable, build_report, content_disposition, render_html, \
    render_pdf, style_source
from .schemas import WireError, error_body
from .schemas.api import CreateExercise, EventQuery, ExportQuery, Join, MoveBody, ReissueBody, ReplayQuery, \
    ReportQuery, StaffSeatBody, TimelineQuery
from .services.exports import export_csv as export_log_csv, export_jsonl as export_log_jsonl
from .services.tokens import same_key

bp = Blueprint("api", __name__, url_prefix="/api")

STATUS = {"not_found": 404, "forbidden": 403, "bad_token": 401, "bad_code": 404, "conflict": 409, "stale": 409,
          "name_taken": 409, "rate_limited": 429, "storage_full": 507}
QR_MAX_DATA = 512  # characters; a join link is well under 100
HTTP_CODES = {404: "not_found", 405: "method_not_allowed", 413: "too_large", 500: "internal"}
CSV_TYPES = ("text/csv", "text/plain", "application/csv", "application/octet-stream", "")  # "": none given


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
    response = jsonify(error_body(exc))
    if exc.code == "rate_limited":
        response.headers["Retry-After"] = str(math.ceil(float(exc.fields.get("retry_after", 1))))
    return response, STATUS.get(exc.code, 400)


@bp.errorhandler(CsvError)
def csv_error(exc: CsvError):
    """An event list file that cannot be imported: the envelope, with ``rows`` (line, column, message)."""
    return jsonify(error_body(exc)), 400


def _body(schema):
    try:
        data = request.get_json(silent=True)
    except RecursionError:  # nesting deeper than the JSON parser goes: not a body any client sends
        data = None
    if not isinstance(data, dict):
        raise WireError("invalid", "Send a JSON object (Content-Type: application/json).", {"": "not JSON"})
    try:
        return schema().load(data)
    except ValidationError as exc:
        raise WireError.from_validation(exc) from None


def _bearer_of(exercise_id: str):
    """The caller's identity, which must belong to ``exercise_id`` (403 ``forbidden`` if another's)."""
    identity = _bearer()
    if identity.exercise_id != exercise_id:
        raise WireError("forbidden", "This token belongs to another exercise.", status=403)
    return identity


def _bearer():
    """The caller's identity from ``Authorization: Bearer <token>``. An unknown token counts as a guess from
    the caller's address (``_guessing``)."""
    header = request.headers.get("Authorization", "")
    token = header[7:].strip() if header.lower().startswith("bearer ") else ""
    with _guessing():
        identity = services().exercises.identify(token)
        if identity is None:
            raise WireError("bad_token", "Missing or unknown token: send 'Authorization: Bearer <token>'.", status=401)
    return identity


@contextmanager
def _guessing():
    """Guarding a check of a secret (token, code, instructor key): refused with 429 ``rate_limited`` before any
    work while the caller's address has used up its failed guesses (``LIMIT_GUESSES``); a failure in the
    block (``bad_token``, ``bad_code``, ``forbidden``) spends one."""
    with guessing(services().limits.guesses, request.remote_addr or "?") as wrong:
        try:
            yield
        except (WireError, RuleError) as exc:
            if exc.code in ("bad_token", "bad_code", "forbidden"):
                wrong()
            raise


def _instructor(given: str | None) -> None:
    """``forbidden`` unless the instructor key setting (``INSTRUCTOR_KEY``) is unset or ``given`` is it."""
    expected = current_app.config.get("INSTRUCTOR_KEY")
    if expected and not (given and same_key(given, expected)):
        raise WireError("forbidden", "Creating an exercise on this server needs the instructor key (printed by "
                                     "`facilitator serve`; see docs/security.md)." if not given else
                        "That instructor key is wrong.", {"instructor_key": "missing" if not given else "wrong"},
                        status=403)


@bp.get("/scenarios")
def list_scenarios():
    return jsonify([_scenario(loaded.deck) for loaded in services().catalog.list()])


def _scenario(deck) -> dict:
    """A deck as the home page lists it: ``minutes`` of play (the phases), ``class_minutes`` (the whole class,
    debrief included, or null), ``players`` (``[fewest, most]`` or null), ``learning_objectives`` (texts),
    ``variant_of`` (a deck id, or ""), and per delegation whether it is ``optional``."""
    teaching = deck.teaching
    return {"id": deck.id, "title": deck.title, "summary": deck.summary, "audience": deck.audience,
            "variant_of": deck.variant_of,
            "class_minutes": teaching.minutes if teaching else None,
            "players": [teaching.players_min, teaching.players_max] if teaching else None,
            "learning_objectives": [g.text for g in teaching.learning_objectives] if teaching else [],
            "minutes": sum(p.minutes for p in deck.phases),
            "phases": [{"id": p.id, "name": p.name, "minutes": p.minutes} for p in deck.phases],
            "delegations": [{"id": d.id, "name": d.name, "kind": d.kind, "optional": d.optional}
                            for d in deck.delegations],
            "tables": [{"id": t.id, "name": t.name} for t in deck.tables]}


@bp.get("/glossary")
def glossary():
    """The glossary and the timeline for players, public (no token): ``{"terms": [{term, aliases, definition,
    general, sources}], "timeline": [{date, text, general, sources}]}`` (``seeds/glossary.yaml`` and
    ``seeds/timeline.yaml``; an absent file gives an empty list). Raises ``DeckInvalid`` (a 500) when the files
    are broken, which ``facilitator scenarios validate`` reports."""
    response = jsonify(services().catalog.reference_texts().as_json())
    response.headers["Cache-Control"] = "public, max-age=300"
    return response


@bp.get("/server")
def server_info():
    """What the home page needs to know of this server: ``{"instructor_key": bool}``, whether creating an
    exercise needs the instructor key. Names no software or version."""
    return jsonify({"instructor_key": bool(current_app.config.get("INSTRUCTOR_KEY"))})


@bp.post("/exercises")
def create_exercise():
    """Create an exercise from ``{deck, title?, instructor_key?, leave_out?}`` (``leave_out``: ids of optional
    delegations to play without; 400 ``invalid`` for others); its links are on the public URL when one is
    configured, else on the request's host. Needs the instructor key when the server has one (403
    ``forbidden``); an address creates at most ``LIMIT_CREATIONS`` (429 ``rate_limited``)."""
    body = _body(CreateExercise)
    with _guessing():
        _instructor(body["instructor_key"])
    services().limits.creations.check(request.remote_addr or "?", "new exercises from this address")
    created = services().exercises.create(body["deck"], body["title"], leave_out=body["leave_out"])
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
    with _guessing():
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
    identity = _bearer_of(exercise_id)
    try:
        query = EventQuery().load(request.args)
    except ValidationError as exc:
        raise WireError.from_validation(exc, "query") from None
    page, more = services().exercises.page(exercise_id, identity.actor, after=query["after"], before=query["before"],
                                           limit=query["limit"], channel=query["channel"])
    deck = services().exercises.deck(exercise_id)
    return jsonify({"events": [e.to_dict(deck) for e in page], "more": more})


@bp.get("/exercises/<exercise_id>/replay")
def replay(exercise_id: str):
    """The exercise as one perspective saw it at one moment: query ``as`` (``umpire``, ``observers``,
    ``public`` or ``d:<delegation>``), ``seq`` (default: now), ``step`` (1/-1: move from ``seq`` to the next or
    previous event that perspective was told of), ``after`` (also the events it was told of after it, up to
    ``seq``), ``history`` (also its last N ≤ 500 events up to ``seq``, of one ``channel`` if given).
    Returns ``{perspective, seq, last_seq, played, state, events, history, more}``.
    Bearer token of the exercise: exercise control may replay any perspective, a member its delegation's and
    the public one, an observer the public one (403 ``forbidden`` otherwise; 400 ``invalid`` for an unknown
    perspective or a seq beyond the log)."""
    identity = _bearer_of(exercise_id)
    try:
        query = ReplayQuery().load(request.args)
    except ValidationError as exc:
        raise WireError.from_validation(exc, "query") from None
    found = services().replay.replay(exercise_id, identity.actor, query["as_"], query["seq"], query["after"],
                                     query["step"], query["history"], query["channel"])
    return _no_store(jsonify(found))


@bp.get("/exercises/<exercise_id>/replay/timeline")
def replay_timeline(exercise_id: str):
    """What the replay screen moves through, for perspective ``as``: every event's seq and played time, the
    moments to jump to (phases, injects, signals, agreements, adjudications, cease-fires, bookmarks) and each
    indicator, trust and readiness series (see ``ReplayService.timeline``). Same token rules as ``/replay``."""
    identity = _bearer_of(exercise_id)
    try:
        query = TimelineQuery().load(request.args)
    except ValidationError as exc:
        raise WireError.from_validation(exc, "query") from None
    return _no_store(jsonify(services().replay.timeline(exercise_id, identity.actor, query["as_"])))


@bp.get("/exercises/<exercise_id>/report")
def exercise_report(exercise_id: str):
    """The after-action report (docs/replay.md, "After-action report"): query ``as`` (the perspective; default
    the caller's own: exercise control ``umpire``, a member its delegation's, an observer ``public``) and
    ``format`` (``html``, the default: one self-contained file, shown inline; ``pdf``: an attachment). Same
    token rules as ``/replay`` (403 ``forbidden`` for a perspective the caller may not take; 400 ``invalid``
    for an unknown one or a bad format); 503 ``pdf_unavailable`` when this server cannot make PDFs."""
    identity = _bearer_of(exercise_id)
    try:
        query = ReportQuery().load(request.args)
    except ValidationError as exc:
        raise WireError.from_validation(exc, "query") from None
    key = query["as_"] or replay_keys(identity.actor, services().exercises.deck(exercise_id))[0]
    report = build_report(services().replay, services().exercises, exercise_id, identity.actor, key)
    if query["format"] == "pdf":
        try:
            body = render_pdf(report)
        except PdfUnavailable as exc:
            raise WireError("pdf_unavailable", str(exc), {"format": "pdf"}, status=503) from None
    else:
        body = render_html(report).encode("utf-8")
    response = Response(body, content_type=REPORT_FORMATS[query["format"]])
    response.headers["Content-Disposition"] = content_disposition(report, query["format"],
                                                                  attachment=query["format"] == "pdf")
    # The report is a document, not the app: its own stylesheet, no script, nothing fetched.
    response.headers["Content-Security-Policy"] = (f"default-src 'none'; style-src {style_source()}; img-src data:; "
                                                   "base-uri 'none'; form-action 'none'; frame-ancestors 'none'")
    return _no_store(response)


def _no_store(response):
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.get("/exercises/<exercise_id>/export")
def export_exercise(exercise_id: str):
    """The exercise's log as a file (docs/exports.md), streamed: query ``format`` (``jsonl``, the default, or
    ``csv``), ``as`` (the perspective: ``umpire``, ``observers``, ``public`` or ``d:<delegation>``; default the
    caller's own: exercise control ``umpire``, a member its delegation's, an observer ``public``) and
    ``pseudonymise`` (``1``: aliases instead of names). Bearer token of the exercise; the perspectives one may
    take are those of ``/replay`` (403 ``forbidden`` otherwise; 400 ``invalid`` for a bad format or an unknown
    perspective). Returns ``application/jsonl`` or ``text/csv`` (UTF-8 with a byte-order mark) as an attachment
    named ``<title>-<id>.jsonl|csv``."""
    identity = _bearer_of(exercise_id)
    try:
        query = ExportQuery().load(request.args)
    except ValidationError as exc:
        raise WireError.from_validation(exc, "query") from None
    export = export_log_jsonl if query["format"] == "jsonl" else export_log_csv
    lines = export(services().db, exercise_id, identity.actor, query["as_"], query["pseudonymise"])
    response = Response(_chunks(lines), content_type=lines.media_type)
    response.headers["Content-Disposition"] = lines.disposition
    return _no_store(response)


def _chunks(lines, size: int = 64 * 1024):
    """Lines joined into pieces of about ``size`` characters (one write per piece, not per line)."""
    piece, length = [], 0
    try:
        for line in lines:
            piece.append(line)
            length += len(line)
            if length >= size:
                yield "".join(piece)
                piece, length = [], 0
        if piece:
            yield "".join(piece)
    finally:
        lines.close()


def _control(exercise_id: str):
    """The caller's identity when it is exercise control of ``exercise_id``: 401 ``bad_token`` without a
    known token, 403 ``forbidden`` for another exercise's token or a delegation's or an observer's. (Which of
    the umpire's powers an assistant lacks is the engine's rule: ``engine.guards.chief``.)"""
    identity = _bearer_of(exercise_id)
    if not identity.actor.is_umpire:
        raise WireError("forbidden", "Only exercise control may do this.", status=403)
    return identity


def _base() -> str:
    return (current_app.config.get("PUBLIC_URL") or request.host_url).rstrip("/")


@bp.post("/exercises/<exercise_id>/staff")
def seat_staff(exercise_id: str):
    """Seat a named umpire or assistant: body ``{name, role}`` (``umpire`` or ``assistant``). The umpire only
    (403 for an assistant). Returns 201 ``{staff, name, role, token, url}``: their own umpire-console link,
    shown once. 409 ``name_taken`` if exercise control already has that name."""
    identity = _control(exercise_id)
    body = _body(StaffSeatBody)
    staff_id, token = services().exercises.add_staff(exercise_id, body["name"], body["role"], identity.actor)
    seat = next(s for s in services().exercises.state(exercise_id).control.staff if s.staff == staff_id)
    return jsonify({"staff": staff_id, "name": seat.name, "role": seat.role, "token": token,
                    "url": seat_link(_base(), exercise_id, "staff", token)}), 201


@bp.post("/exercises/<exercise_id>/links")
def reissue_link(exercise_id: str):
    """Re-issue one link; the old one stops working at once. Body ``{kind, target}``: ``umpire``,
    ``observer``, ``delegation`` (target: its id; a new join code), ``participant`` (target: their id; a new
    personal link, for a student on a new device) or ``staff`` (target: the seat's id). The umpire only.
    Returns ``{kind, target, secret, url}`` (and ``projector_url`` for observers); 404 ``not_found`` for an
    unknown target."""
    identity = _control(exercise_id)
    body = _body(ReissueBody)
    kind, target = body["kind"], body["target"]
    secret = services().exercises.reissue(exercise_id, kind, target, identity.actor)
    out = {"kind": kind, "target": target, "secret": secret, "url": seat_link(_base(), exercise_id, kind, secret)}
    if kind == "observer":
        out["projector_url"] = f"{_base()}/projector#code={secret}"
    return jsonify(out)


@bp.post("/exercises/<exercise_id>/participants/<participant>")
def move_participant(exercise_id: str, participant: str):
    """Move a participant to another delegation: body ``{delegation}``. Exercise control. Their open
    connections close and come back into the new delegation. Returns ``{participant, delegation}``."""
    identity = _control(exercise_id)
    body = _body(MoveBody)
    services().exercises.move_participant(exercise_id, participant, body["delegation"], identity.actor)
    return jsonify({"participant": participant, "delegation": body["delegation"]})


@bp.delete("/exercises/<exercise_id>/participants/<participant>")
def remove_participant(exercise_id: str, participant: str):
    """Take a participant's seat away: their link stops working and their connections close. Exercise
    control. Returns ``{participant, removed: true}``."""
    identity = _control(exercise_id)
    services().exercises.remove_participant(exercise_id, participant, identity.actor)
    return jsonify({"participant": participant, "removed": True})


@bp.post("/exercises/<exercise_id>/archive")
def archive_exercise(exercise_id: str):
    """End the exercise (if it runs) and archive it: it leaves the lists, its log stays readable. The umpire
    only. Returns ``{id, archived: true}``; 409 ``conflict`` if already archived."""
    identity = _control(exercise_id)
    services().exercises.archive(exercise_id, identity.actor)
    return jsonify({"id": exercise_id, "archived": True})


@bp.delete("/exercises/<exercise_id>")
def delete_exercise(exercise_id: str):
    """Delete the exercise and its whole log, for good; a line (who, when, title, number of events) is kept in
    the server's ``deletions`` table and log. The umpire only. Returns ``{id, deleted: true}``."""
    identity = _control(exercise_id)
    services().exercises.delete(exercise_id, identity.actor)
    broadcaster().close_exercise(exercise_id)  # its connections go with it
    return jsonify({"id": exercise_id, "deleted": True})


def _csv_filename(title: str) -> str:
    """``Content-Disposition`` for a download named after an exercise ``title``: an ASCII name (the title's
    letters and digits, joined by hyphens) and the title itself in UTF-8 for clients that read it."""
    ascii_name = re.sub(r"[^a-z0-9]+", "-", unicodedata.normalize("NFKD", title).encode("ascii", "ignore")
                        .decode().lower()).strip("-")[:80] or "exercise"
    return (f'attachment; filename="{ascii_name}-event-list.csv"; '
            f"filename*=UTF-8''{quote(title.strip()[:80] + ' - event list.csv', safe='')}")


@bp.get("/exercises/<exercise_id>/event-list.csv")
def export_event_list(exercise_id: str):
    """The exercise's event list (MSEL) as a CSV file, every row in list order (docs/event-list-csv.md).

    Takes exercise control's bearer token (401 ``bad_token`` without one; 403 ``forbidden`` for a
    delegation's, an observer's or another exercise's). Returns ``text/csv; charset=utf-8``, UTF-8 with a
    byte-order mark (so Excel reads it as UTF-8), as an attachment named after the exercise's title.
    """
    _control(exercise_id)
    state = services().exercises.state(exercise_id)
    response = Response("\ufeff" + export_csv(state), content_type="text/csv; charset=utf-8")
    response.headers["Content-Disposition"] = _csv_filename(state.title)
    response.headers["Cache-Control"] = "no-store"  # controllers' notes
    return response


@bp.post("/exercises/<exercise_id>/event-list.csv")
def import_event_list(exercise_id: str):
    """Replace the rows of the event list not yet fired or skipped with those of a CSV file.

    Takes exercise control's bearer token (401, 403 as the export) and the file as the body
    (``Content-Type: text/csv``, UTF-8, at most 500 rows; 415 ``unsupported_media_type`` for a form or
    JSON body; 413 ``too_large`` over 1 MiB). Returns 200 ``{"imported": N}``, the number of rows
    imported. A file with any problem imports nothing: 400 ``invalid``, whose envelope adds ``rows``, each
    problem's ``line``, ``column`` (None for the whole line) and ``message``; ``fields`` keys them
    ``lines.<line>.<column>``.
    """
    identity = _control(exercise_id)
    if request.mimetype not in CSV_TYPES:
        raise WireError("unsupported_media_type", "Send the CSV file itself as the body, with Content-Type: "
                        "text/csv.", {"Content-Type": request.mimetype}, status=415)
    request.max_content_length = MAX_CSV_BYTES  # above the app's limit for JSON bodies
    try:
        data = request.stream.read(MAX_CSV_BYTES + 1)
    except RequestEntityTooLarge:
        data = b""
    if len(data) > MAX_CSV_BYTES or (request.content_length or 0) > MAX_CSV_BYTES:
        raise WireError("too_large", f"The file is over {MAX_CSV_BYTES // 1024 // 1024} MiB: an event list of 500 "
                                     "rows fits well under it. Check that this is the right file.",
                        {"": f"over {MAX_CSV_BYTES} bytes"}, status=413)
    count = import_csv(services().exercises, exercise_id, decode(data), identity.actor)
    return jsonify({"imported": count})
