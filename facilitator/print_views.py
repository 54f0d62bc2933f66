"""A deck's print pack in the browser (docs/teaching.md): ``GET /decks/<deck>/print[/<sheet>]``, each sheet one
self-contained HTML page made by ``facilitator.print_pack``. A thin interface: it finds the deck, checks the
instructor key for the private sheets, and sends the page with a policy that lets in its own stylesheet only.

The instructor key, when the server has one, comes in one of three ways. Typed into the index's form (or sent
by the home page's "Print pack" link), it is *posted*: the server answers with a pass, a cookie that holds no
key, only this server's signature over a time (``PASS_COOKIE``: HttpOnly, SameSite=Strict, for ``/decks/``
only, valid ``PASS_HOURS``), and sends the browser on to the sheet, so the key is in no address, no server
log and no history. A script may instead send the ``X-Instructor-Key`` header; ``?key=`` still works (then the
index's links carry it on, as they came), but puts the key in the address and in the access log.
"""

from __future__ import annotations

import hashlib
from pathlib import Path
from urllib.parse import urlsplit

from flask import Blueprint, Flask, Response, current_app, redirect, request, url_for
from itsdangerous import BadSignature, TimestampSigner
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
PASS_COOKIE = "facilitator-print-pass"
PASS_HOURS = 8  # a class day ("eight hours", index.html): a pass left on a shared computer lapses


def init_app(app: Flask) -> None:
    app.register_blueprint(bp)


def _signer(expected: str) -> TimestampSigner:
    """Signs the print pass with the server's secret, salted with the instructor key's hash: a new key (or a
    new secret) voids every pass."""
    salt = "print-pass:" + hashlib.sha256(expected.encode("utf-8")).hexdigest()
    return TimestampSigner(current_app.config["SECRET_KEY"], salt=salt)


def _has_pass(expected: str) -> bool:
    """Whether the request carries a valid, unexpired print pass (never a guess: it holds no key)."""
    cookie = request.cookies.get(PASS_COOKIE)
    if not cookie:
        return False
    try:
        return _signer(expected).unsign(cookie, max_age=PASS_HOURS * 3600) == b"print"
    except BadSignature:  # expired, forged, or signed for another key
        return False


@bp.route("/decks/<deck_id>/print", methods=["GET", "POST"])
@bp.route("/decks/<deck_id>/print/<sheet>", methods=["GET", "POST"])
def show_sheet(deck_id: str, sheet: str = "index"):
    """Sheet ``sheet`` of deck ``deck_id``'s print pack as a self-contained HTML page (``?paper=a4|letter``).

    When the server has an instructor key (``INSTRUCTOR_KEY``), the sheets holding private briefs (the umpire's
    packet, the role sheets) need it: posted as the form field ``key`` (the answer is then a print pass and a
    303 to the sheet), as a print pass, as the ``X-Instructor-Key`` header or as ``?key=``; 403 without it; a
    wrong key is a wrong guess (``LIMIT_GUESSES``, 429 once used up). The index and the student handout are
    public. 404 for an unknown deck or sheet, 400 for an unknown paper."""
    loaded = services().catalog.get(deck_id)
    if loaded is None:
        return _plain(404, "No such deck", f"This server has no deck '{deck_id}'.")
    deck = loaded.deck
    paper = (request.args.get("paper") or request.form.get("paper") or "a4").strip().lower()
    if paper not in print_pack.PAPERS:
        return _plain(400, "Unknown paper", f"Give ?paper= one of {', '.join(print_pack.PAPERS)}.")
    if sheet not in print_pack.sheet_names(deck):
        return _plain(404, "No such sheet", f"The print pack of '{deck_id}' has no sheet '{sheet}'.",
                      index=url_for("print_pack.show_sheet", deck_id=deck_id))
    expected = current_app.config.get("INSTRUCTOR_KEY")
    posted = request.method == "POST"
    given = ((request.form.get("key") if posted else request.args.get("key")) or request.headers.get(KEY_HEADER)
             or "").strip()
    unlocked = not expected or (not given and _has_pass(expected))
    if expected and given:
        try:
            with guessing(services().limits.guesses, request.remote_addr or "?") as wrong:
                unlocked = same_key(given, expected)
                if not unlocked:
                    wrong()
        except RuleError as exc:
            return _plain(429, "Too many tries", exc.message)
    if posted and expected and unlocked:
        # Post, then redirect: the key goes no further than this request; the pass opens the sheets.
        response = redirect(url_for("print_pack.show_sheet", deck_id=deck_id,
                                    sheet=None if sheet == "index" else sheet,
                                    paper=None if paper == "a4" else paper), code=303)
        response.set_cookie(PASS_COOKIE, _signer(expected).sign(b"print").decode("ascii"),
                            max_age=PASS_HOURS * 3600, path="/decks/", secure=request.is_secure, httponly=True,
                            samesite="Strict")
        response.headers["Cache-Control"] = "no-store"
        return response
    if print_pack.is_private(sheet) and not unlocked:
        return _plain(403, "Instructor key needed",
                      "This sheet holds private briefs: on this server it needs the instructor key (printed by "
                      "`facilitator serve`). Type it on the print pack's index." if not given else
                      "That instructor key is wrong.", index=url_for("print_pack.show_sheet", deck_id=deck_id))
    # A key that came in the address is kept in the links (it is in the address already); a posted key or a
    # pass never is.
    key = given if expected and unlocked and not posted and request.args.get("key") else None

    def link(name: str, paper_: str = paper) -> str:
        return url_for("print_pack.show_sheet", deck_id=deck_id, sheet=None if name == "index" else name,
                       paper=None if paper_ == "a4" else paper_, key=key)

    # The handout's join address: the configured one (never the request's Host), if the room can reach it.
    base = (current_app.config.get("PUBLIC_URL") or "").rstrip("/")
    reachable = base and urlsplit(base).hostname not in {h.strip("[]") for h in LOOPBACK}
    where = print_pack.Where(sheet=link, paper=lambda choice: link(sheet, choice), home=url_for("pages.page"),
                             join=f"{base}/join" if reachable else None, ask_key=not unlocked,
                             key_wrong=bool(given) and not unlocked)
    html = print_pack.render_sheet(deck, sheet, load_notes(services().catalog.seeds_dir), paper,
                                   Path(current_app.static_folder) / "maps", where)
    response = Response(html, status=403 if posted and not unlocked else 200, mimetype="text/html")
    response.headers["Content-Security-Policy"] = (
        f"default-src 'none'; style-src {print_pack.style_source(paper)}; img-src data:; form-action 'self'; "
        "base-uri 'none'; frame-ancestors 'none'")
    response.headers["Cache-Control"] = "no-store" if print_pack.is_private(sheet) or key or posted else "no-cache"
    return response


def _plain(status: int, title: str, text: str, index: str | None = None) -> Response:
    """A short HTML page saying what went wrong, with ``status``, and links back: to the print pack's index
    (when there is one) and to the home page."""
    links = [f'<a href="{escape(index)}">The print pack\'s index</a>'] if index else []
    links.append(f'<a href="{escape(url_for("pages.page"))}">The home page</a> (every deck and its print pack)')
    body = (f"<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\">"
            f"<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\"><title>{escape(title)}</title>"
            f"</head><body><h1>{escape(title)}</h1><p>{escape(text)}</p><p>{' · '.join(links)}</p></body></html>")
    return Response(body, status=status, mimetype="text/html")
