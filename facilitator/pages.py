"""The browser client's pages (static files), its two small helpers, and the security headers on every response.

Helpers for the client:

- ``GET /qr.svg?data=<text>``: a QR code drawn here (segno), so join links can
  be scanned from a projector or a printed sheet without any outside service.
- ``GET /whoami`` with ``Authorization: Bearer <token>``: which exercise and
  role a token opens. The umpire link carries only its token, and the client
  needs the exercise id to page older history in from the events endpoint.
"""

from __future__ import annotations

import io

from flask import Blueprint, Flask, Response, abort, current_app, jsonify, request, send_from_directory

bp = Blueprint("pages", __name__)

CSP = ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
       "connect-src 'self' ws: wss:; object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'")

PAGES = ("join", "play", "umpire", "observe", "projector")

QR_MAX_DATA = 512  # characters; a join link is well under 100


def init_app(app: Flask) -> None:
    app.register_blueprint(bp)

    @app.after_request
    def security_headers(response):
        response.headers.setdefault("Content-Security-Policy", CSP)
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("Referrer-Policy", "no-referrer")
        return response


@bp.get("/")
@bp.get("/<any(" + ", ".join(PAGES) + "):page>")
def page(page: str = "home"):
    """Every page is the same shell; the client script routes on the path."""
    return send_from_directory(current_app.static_folder, "index.html", max_age=0)


@bp.get("/qr.svg")
def qr_code():
    """A QR code for ``data`` (a link or a code), as SVG."""
    import segno

    data = request.args.get("data", "")
    if not data or len(data) > QR_MAX_DATA:
        abort(400, f"Give 'data' of 1 to {QR_MAX_DATA} characters.")
    buffer = io.BytesIO()
    segno.make(data, error="m", micro=False).save(buffer, kind="svg", scale=4, border=2, xmldecl=False,
                                                  title="QR code", dark="#000", light="#fff", omitsize=True)
    response = Response(buffer.getvalue(), mimetype="image/svg+xml")
    response.headers["Cache-Control"] = "private, max-age=86400"
    return response


@bp.get("/whoami")
def whoami():
    """The exercise and role a bearer token opens; 401 with the usual error envelope if none."""
    from .app import services

    header = request.headers.get("Authorization", "")
    token = header[7:].strip() if header.lower().startswith("bearer ") else ""
    identity = services().exercises.identify(token) if token else None
    if identity is None:
        return jsonify({"error": {"code": "bad_token", "message": "Missing or unknown token: this link is not "
                                  "(or no longer) valid for any exercise.", "fields": {}}}), 401
    actor = identity.actor
    response = jsonify({"exercise": identity.exercise_id, "role": actor.role, "delegation": actor.delegation,
                        "participant": actor.participant, "name": actor.name})
    response.headers["Cache-Control"] = "no-store"
    return response
