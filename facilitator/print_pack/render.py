"""A deck's print pack as self-contained HTML pages, ready to print on A4 or Letter.

Each page holds its stylesheet inline (the paper size is its ``@page`` rule), draws its QR code as inline SVG
and its map as a ``data:`` image: nothing is fetched, no script runs, and a page saved to disk prints the same.
Jinja autoescapes every text: a deck's words are shown as text, never as markup.

The sheets (``sheets``): ``index``, ``handout`` (for every student), ``umpire`` (exercise control only),
``roles`` (every role sheet, one after the other) and ``role-<delegation id>`` (one delegation's members).
"""

from __future__ import annotations

import base64
import functools
import hashlib
import os
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Callable, Mapping

import segno
from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape
from markupsafe import Markup

from facilitator.engine.deck import Deck

from . import build

PAPERS = {"a4": ("A4", "A4"), "letter": ("Letter", "letter")}  # choice -> (label, CSS page size)
PUBLIC_SHEETS = ("index", "handout")  # hold nothing private: a server shows them without the instructor key
_env: Environment | None = None


class UnknownSheet(LookupError):
    """A sheet the deck's pack does not have; the message names those it has."""


@dataclass(frozen=True)
class Where:
    """Where a page's links lead. ``sheet(name)``: another sheet of the pack; ``paper(choice)``: this sheet on
    other paper (None: no choice offered, as in files written for one paper); ``home``: the server's home page,
    where join sheets are printed (None: not known); ``join``: the join page students open, for the handout's
    QR code (None: not known, or reachable from this machine only); ``ask_key``: the index asks for the
    instructor key (the server needs it for the private sheets and none was given, or ``key_wrong``)."""

    sheet: Callable[[str], str]
    paper: Callable[[str], str] | None = None
    home: str | None = None
    join: str | None = None
    ask_key: bool = False
    key_wrong: bool = False


def files(deck: Deck) -> Where:
    """Links between the files ``write_pack`` writes: ``handout.html``, ``role-ukraine.html`` …"""
    return Where(sheet=lambda name: f"{name}.html")


def sheets(deck: Deck) -> list[dict]:
    """The sheets of ``deck``'s pack in the order the index lists them: ``[{name, title, for, private}]``;
    ``private`` sheets hold briefs, objectives or exercise control's notes."""
    out = [{"name": "handout", "title": "Student handout", "for": "one copy per student", "private": False},
           {"name": "umpire", "title": "Umpire's packet", "for": "exercise control only", "private": True},
           {"name": "roles", "title": "All role sheets", "for": "every delegation's sheet, one after the other",
            "private": True}]
    out += [{"name": f"role-{d.id}", "title": f"Role sheet: {d.name}", "for": f"for the members of {d.name} only",
             "private": True} for d in deck.delegations]
    return out


def sheet_names(deck: Deck) -> list[str]:
    """Every sheet's name, the index first."""
    return ["index"] + [s["name"] for s in sheets(deck)]


def is_private(sheet: str) -> bool:
    """Whether ``sheet`` holds what only exercise control (or one delegation) may read."""
    return sheet not in PUBLIC_SHEETS


def _environment() -> Environment:
    """The templates' Jinja environment (autoescaping everything), made once."""
    global _env
    if _env is None:
        _env = Environment(loader=PackageLoader("facilitator.print_pack", "templates"),
                           autoescape=select_autoescape(default=True, default_for_string=True),
                           undefined=StrictUndefined, trim_blocks=True, lstrip_blocks=True)
    return _env


@functools.cache
def _base_stylesheet() -> str:
    """``templates/pack.css`` as it is shipped."""
    return resources.files("facilitator.print_pack").joinpath("templates", "pack.css").read_text(encoding="utf-8")


def stylesheet(paper: str = "a4") -> str:
    """The stylesheet every page of the pack holds inline, for ``paper`` (``a4`` or ``letter``)."""
    return f"@page {{ size: {PAPERS[paper][1]}; }}\n" + _base_stylesheet()


def style_source(paper: str = "a4") -> str:
    """The stylesheet for ``paper`` as a Content-Security-Policy source (``'sha256-…'``)."""
    digest = hashlib.sha256(stylesheet(paper).encode("utf-8")).digest()
    return f"'sha256-{base64.b64encode(digest).decode()}'"


def deck_map(deck: Deck, maps_dir: Path | None) -> dict | None:
    """The deck's map for a page: ``{src, caption, licence}`` with the SVG file of ``maps_dir`` as a ``data:``
    URI (an image: a script in the file never runs), ``src`` None when the file is missing; None when the
    deck has no map."""
    if deck.map is None:
        return None
    src = None
    path = Path(maps_dir, deck.map.file) if maps_dir is not None else None
    if path is not None and path.is_file():
        src = "data:image/svg+xml;base64," + base64.b64encode(path.read_bytes()).decode("ascii")
    return {"src": src, "file": deck.map.file, "caption": deck.map.caption, "licence": deck.map.licence}


def _qr(url: str | None) -> Markup | None:
    """A QR code for ``url`` as inline SVG (drawn here by segno), or None."""
    if not url:
        return None
    svg = segno.make(url, error="m").svg_inline(dark="#000", light="#fff", omitsize=True, svgclass="qr",
                                                title="QR code of the join page")
    return Markup(svg)


def render_sheet(deck: Deck, sheet: str, notes: Mapping[str, dict], paper: str = "a4",
                 maps_dir: Path | None = None, where: Where | None = None) -> str:
    """Sheet ``sheet`` (one of ``sheet_names(deck)``) of ``deck``'s pack as one HTML document, on ``paper``
    (``a4`` or ``letter``), citing ``notes`` (``decks.load_notes``), with the map from ``maps_dir`` and links
    as ``where`` says (default: the files ``write_pack`` writes). Raises ``UnknownSheet`` for a sheet the
    pack does not have and ``ValueError`` for an unknown paper."""
    if paper not in PAPERS:
        raise ValueError(f"Unknown paper '{paper}': give one of {', '.join(PAPERS)}.")
    where = where or files(deck)
    names = sheet_names(deck)
    if sheet not in names:
        raise UnknownSheet(f"The pack of '{deck.id}' has no sheet '{sheet}'. Its sheets: {', '.join(names)}.")
    context = {"deck": deck, "sheet": sheet, "paper": paper, "paper_label": PAPERS[paper][0], "papers": PAPERS,
               "where": where, "stylesheet": Markup(stylesheet(paper)), "map": deck_map(deck, maps_dir),
               "sheets": sheets(deck), "overview": build.overview(deck)}
    if sheet == "index":
        template = "index.html"
    elif sheet == "handout":
        template, context["handout"] = "handout.html", build.handout(deck)
        context["qr"] = _qr(where.join)
    elif sheet == "umpire":
        template, context["packet"] = "umpire.html", build.umpire_packet(deck, notes)
    else:
        ids = [d.id for d in deck.delegations] if sheet == "roles" else [sheet.removeprefix("role-")]
        template, context["roles"] = "roles.html", [build.role_sheet(deck, i, notes) for i in ids]
    return _environment().get_template(template).render(**context)


def write_pack(deck: Deck, out_dir: Path, notes: Mapping[str, dict], paper: str = "a4",
               maps_dir: Path | None = None) -> list[Path]:
    """Write every sheet of ``deck``'s pack into ``out_dir`` (made if missing) as ``<sheet>.html``, linked
    to each other, on ``paper``. A new file is readable by this user only (0600: role sheets and the packet
    hold private briefs); a file replaced keeps its mode. Returns the files written, ``index.html`` first.
    Raises ``OSError`` when a file cannot be written."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    written = []
    for name in sheet_names(deck):
        path = out_dir / f"{name}.html"
        html = render_sheet(deck, name, notes, paper, maps_dir, files(deck)).encode("utf-8")
        with os.fdopen(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600), "wb") as handle:
            handle.write(html)
        written.append(path)
    return written
