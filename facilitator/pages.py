"""The browser client's pages (one shell, static files) and the security headers on every response."""

from __future__ import annotations

import hashlib
from pathlib import Path

from flask import Blueprint, Flask, Response, current_app, request

from .report.render import style_source

bp = Blueprint("pages", __name__)

CSP = ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
       "connect-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'")

PAGES = ("join", "play", "umpire", "observe", "projector", "replay", "glossary")

BUILD_META = '<meta name="facilitator-build" content="">'  # in static/index.html, filled in as it is served


NOT_THE_CLIENT = (".md", ".map")  # notes and source maps in the static folder: the page runs without them


def client_build(folder: str | Path) -> str:
    """Which build of the browser client ``folder`` (the static files) holds: 16 hex digits of SHA-256 over
    every file's path and bytes (but ``NOT_THE_CLIENT``). The shell carries it (``BUILD_META``) and so does
    every ``sync``: a page loaded before an upgrade of the server learns that it runs another build
    (static/js/lib/socket.js)."""
    digest = hashlib.sha256()
    root = Path(folder)
    for path in sorted(p for p in root.rglob("*") if p.is_file() and not p.name.endswith(NOT_THE_CLIENT)):
        digest.update(path.relative_to(root).as_posix().encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()[:16]


def init_app(app: Flask) -> None:
    app.register_blueprint(bp)
    app.extensions["client_build"] = client_build(app.static_folder)
    app.extensions["client_shell"] = (Path(app.static_folder) / "index.html").read_text(encoding="utf-8")
    # An after-action report a console opens in a new tab (a blob: page) keeps the console's policy: its one
    # stylesheet is let in by its hash, and nothing else inline.
    csp = CSP.replace("style-src 'self'", f"style-src 'self' {style_source()}")

    @app.after_request
    def security_headers(response):
        response.headers.setdefault("Content-Security-Policy", csp)
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("Referrer-Policy", "no-referrer")
        return response


@bp.get("/")
@bp.get("/<any(" + ", ".join(PAGES) + "):page>")
def page(page: str = "home"):
    """Every page is the same shell, with the client's build; the client script routes on the path."""
    build = current_app.extensions["client_build"]
    shell = current_app.extensions["client_shell"].replace(BUILD_META, BUILD_META.replace('""', f'"{build}"'))
    response = Response(shell, mimetype="text/html")
    response.headers["Cache-Control"] = "no-cache"
    response.set_etag(build)  # the shell is part of the build: the same build, the same shell
    return response.make_conditional(request)
