"""A deck's print pack in the browser (docs/teaching.md): ``GET /decks/<deck>/print[/<sheet>]``, each sheet one
self-contained HTML page made by ``facilitator.print_pack``. A thin interface: it finds the deck, checks the
instructor key for the private sheets, and sends the page with a policy that lets in its own stylesheet only."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import urlsplit

from flask import Blueprint, Flask, Response, current_app, request, url_for
from markupsafe import escape

from . import print_pack
from .decks import load_notes
from .engine import RuleError
from .extensions import services
from .limits import guessing
from .links import LOOPBACK
from .services.tokens import same_key

bp = Blueprint("print_pack", __name__)

KEY_HEADER = "X-Instructor-Key"


def init_app(app: Flask) -> None:
    app.register_blueprint(bp)


@bp.get("/decks/<deck_id>/print")
@bp.get("/decks/<deck_id>/print/<sheet>")
def show_sheet(deck_id: str, sheet: str = "index"):
    """Sheet ``sheet`` of deck ``deck_id``'s print pack as a self-contained HTML page (``?paper=a4|letter``).

    When the server has an instructor key (``INSTRUCTOR_KEY``), the sheets holding private briefs (the umpire's
    packet, the role sheets) need it, as ``?key=`` or the ``X-Instructor-Key`` header: 403 without it; a wrong
    key is a wrong guess (``LIMIT_GUESSES``, 429 once used up). The index and the student handout are public.
    404 for an unknown deck or sheet, 400 for an unknown paper."""
    loaded = services().catalog.get(deck_id)
    if loaded is None:
        return _plain(404, "No such deck", f"This server has no deck '{deck_id}'.")
    deck = loaded.deck
    paper = request.args.get("paper", "a4").strip().lower()
    if paper not in print_pack.PAPERS:
        return _plain(400, "Unknown paper", f"Give ?paper= one of {', '.join(print_pack.PAPERS)}.")
    if sheet not in print_pack.sheet_names(deck):
        return _plain(404, "No such sheet", f"The print pack of '{deck_id}' has no sheet '{sheet}'.")
    expected = current_app.config.get("INSTRUCTOR_KEY")
    given = (request.args.get("key") or request.headers.get(KEY_HEADER) or "").strip()
    unlocked = not expected
    if expected and given:
        try:
            with guessing(services().limits.guesses, request.remote_addr or "?") as wrong:
                unlocked = same_key(given, expected)
                if not unlocked:
                    wrong()
        except RuleError as exc:
            return _plain(429, "Too many tries", exc.message)
    if print_pack.is_private(sheet) and not unlocked:
        return _plain(403, "Instructor key needed",
                      "This sheet holds private briefs: on this server it needs the instructor key (printed by "
                      "`facilitator serve`), as ?key= or the X-Instructor-Key header." if not given else
                      "That instructor key is wrong.", index=url_for("print_pack.show_sheet", deck_id=deck_id))
    key = given if expected and unlocked and request.args.get("key") else None  # kept in links it came in

    def link(name: str, paper_: str = paper) -> str:
        return url_for("print_pack.show_sheet", deck_id=deck_id, sheet=None if name == "index" else name,
                       paper=None if paper_ == "a4" else paper_, key=key)

    # The handout's join address: the configured one (never the request's Host), if the room can reach it.
    base = (current_app.config.get("PUBLIC_URL") or "").rstrip("/")
    join = f"{base}/join" if base and urlsplit(base).hostname not in {h.strip("[]") for h in LOOPBACK} else None
    where = print_pack.Where(sheet=link, paper=lambda choice: link(sheet, choice), home=url_for("pages.page"),
                             join=join, ask_key=not unlocked, key_wrong=bool(given) and not unlocked)
    html = print_pack.render_sheet(deck, sheet, load_notes(services().catalog.seeds_dir), paper,
                                   Path(current_app.static_folder) / "maps", where)
    response = Response(html, mimetype="text/html")
    response.headers["Content-Security-Policy"] = (
        f"default-src 'none'; style-src {print_pack.style_source(paper)}; img-src data:; form-action 'self'; "
        "base-uri 'none'; frame-ancestors 'none'")
    response.headers["Cache-Control"] = "no-store" if print_pack.is_private(sheet) or key else "no-cache"
    return response


def _plain(status: int, title: str, text: str, index: str | None = None) -> Response:
    """A short HTML page saying what went wrong, with ``status``."""
    back = f'<p><a href="{escape(index)}">The print pack\'s index</a></p>' if index else ""
    body = (f"<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>{escape(title)}</title></head>"
            f"<body><h1>{escape(title)}</h1><p>{escape(text)}</p>{back}</body></html>")
    return Response(body, status=status, mimetype="text/html")
