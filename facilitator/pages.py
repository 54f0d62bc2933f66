"""The browser client's pages (one shell, static files) and the security headers on every response."""

from __future__ import annotations

from flask import Blueprint, Flask, current_app, send_from_directory

from .report.render import style_source

bp = Blueprint("pages", __name__)

CSP = ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
       "connect-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'")

PAGES = ("join", "play", "umpire", "observe", "projector", "replay", "glossary")

def init_app(app: Flask) -> None:
    app.register_blueprint(bp)
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
    """Every page is the same shell; the client script routes on the path."""
    return send_from_directory(current_app.static_folder, "index.html", max_age=0)
