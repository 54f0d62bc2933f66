"""The report as one self-contained HTML file (inline CSS and SVG, nothing fetched, no script) and as a PDF.

The template is rendered by Jinja with autoescaping on for everything: every text in a report came from
somebody (a name, a message, a proposal's terms) and is shown as text, never as markup. Only the charts'
SVG, which matplotlib drew here, and the report's own stylesheet go in as markup.

The PDF is WeasyPrint's rendering of the same HTML (A4, the print styles). WeasyPrint is imported on first use,
so the server runs without it; it needs the Pango library, and says what is missing otherwise.
"""

from __future__ import annotations

import base64
import functools
import hashlib
import logging
import re
import unicodedata
from datetime import datetime
from importlib import resources
from urllib.parse import quote

from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape
from markupsafe import Markup

from .build import Report, as_dict

FORMATS = {"html": "text/html; charset=utf-8", "pdf": "application/pdf"}
PDF_FULL_TIMELINE = 1500  # events: a PDF timeline longer than this gives each run of messages one line
_env: Environment | None = None


class PdfUnavailable(RuntimeError):
    """WeasyPrint, or the Pango library it needs, is missing: the message says what to install."""


def _environment() -> Environment:
    global _env
    if _env is None:
        env = Environment(loader=PackageLoader("facilitator.report", "templates"),
                          autoescape=select_autoescape(default=True, default_for_string=True),
                          undefined=StrictUndefined, trim_blocks=True, lstrip_blocks=True)
        env.filters.update(played=played, when=when, percent=percent, signed=signed, noun=noun, count=count)
        _env = env
    return _env


def played(seconds: float | None) -> str:
    """``h:mm:ss`` of played time."""
    seconds = int(seconds or 0)
    return f"{seconds // 3600}:{seconds // 60 % 60:02d}:{seconds % 60:02d}"


def noun(number: int | float, singular: str, plural: str | None = None) -> str:
    """The noun for ``number`` of something: ``singular`` for one, ``plural`` (default: ``singular`` + s)
    otherwise ("1 proposal", "0 proposals", "2 proposals")."""
    return singular if number == 1 else (plural or f"{singular}s")


def count(number: int | float, singular: str, plural: str | None = None) -> str:
    """``number`` and its noun: "1 proposal", "3 proposals"."""
    return f"{number} {noun(number, singular, plural)}"


def when(moment: datetime | None) -> str:
    return moment.strftime("%Y-%m-%d %H:%M UTC") if moment else "—"


def percent(value: float | None) -> str:
    return "—" if value is None else f"{round(value * 100)}%"


def signed(value: int | float) -> str:
    return f"+{value}" if value > 0 else f"{value}"


def render_html(report: Report, compact: bool = False) -> str:
    """The report as one HTML document that opens offline from disk and prints on A4. ``compact``: each run of
    messages in the timeline is one line (for the PDF of a long log)."""
    rows = _runs_of_messages(report.timeline) if compact else report.timeline
    return _environment().get_template("report.html").render(**as_dict(report), stylesheet=Markup(stylesheet()),
                                                             timeline_rows=rows, compact=compact)


def _runs_of_messages(timeline: list) -> list:
    """The timeline with each run of two messages or more as one row: ``{messages, channels, first, last,
    from_seq, to_seq}``."""
    rows, run = [], []

    def close():
        if len(run) > 1:
            rows.append({"messages": len(run), "channels": len({e.channel for e in run}), "first": run[0].played,
                         "last": run[-1].played, "from_seq": run[0].seq, "to_seq": run[-1].seq})
        else:
            rows.extend(run)
        run.clear()

    for entry in timeline:
        if entry.type == "message_posted":
            run.append(entry)
            continue
        close()
        rows.append(entry)
    close()
    return rows


@functools.cache
def stylesheet() -> str:
    """The report's stylesheet, as every report holds it inline."""
    return resources.files("facilitator.report").joinpath("templates", "report.css").read_text(encoding="utf-8")


@functools.cache
def style_source() -> str:
    """The stylesheet as a Content-Security-Policy source (``'sha256-…'``): a page that opens a report as a
    ``blob:`` (which keeps the opener's policy) allows it by this, and no other inline style."""
    digest = hashlib.sha256(stylesheet().encode("utf-8")).digest()
    return f"'sha256-{base64.b64encode(digest).decode()}'"


def render_pdf(report: Report) -> bytes:
    """The report as PDF (A4): the HTML report's pages, but for a long log (over ``PDF_FULL_TIMELINE``
    events) whose timeline gives each run of messages one line. Raises ``PdfUnavailable`` when WeasyPrint or
    Pango cannot be loaded."""
    try:
        from weasyprint import HTML
    except ImportError as exc:
        raise PdfUnavailable("The PDF report needs WeasyPrint: pip install weasyprint (it is among facilitator's "
                             f"dependencies: pip install -e .). ({exc})") from None
    except OSError as exc:  # WeasyPrint is there, the Pango library it loads is not
        raise PdfUnavailable("The PDF report needs the Pango library for WeasyPrint: on Debian or Ubuntu, "
                             "apt-get install libpango-1.0-0 libpangoft2-1.0-0 (see WeasyPrint's installation "
                             f"notes for other systems). ({exc})") from None
    logging.getLogger("weasyprint").setLevel(logging.ERROR)  # not its notes on the CSS it skips (SVG's own)
    html = render_html(report, compact=len(report.timeline) > PDF_FULL_TIMELINE)
    document = HTML(string=html, url_fetcher=_nothing, base_url=None)
    return document.write_pdf()


def _nothing(url: str, *args, **kwargs):
    """The PDF fetches nothing: a report is self-contained, and user text never becomes a link to fetch."""
    raise ValueError(f"a report fetches nothing ({url[:40]})")


def filename(report: Report, extension: str) -> tuple[str, str]:
    """A download name for the report: (ASCII name, name in full) for ``Content-Disposition``."""
    who = report.perspective.replace("d:", "")
    title = report.title.strip()[:80] or "exercise"
    ascii_title = re.sub(r"[^a-z0-9]+", "-", unicodedata.normalize("NFKD", title).encode("ascii", "ignore")
                         .decode().lower()).strip("-")[:80] or "exercise"
    ascii_who = re.sub(r"[^a-z0-9]+", "-", who.lower()).strip("-") or "report"
    return (f"{ascii_title}-report-{ascii_who}.{extension}", f"{title} - report ({who}).{extension}")


def content_disposition(report: Report, extension: str, attachment: bool) -> str:
    ascii_name, full = filename(report, extension)
    return (f'{"attachment" if attachment else "inline"}; filename="{ascii_name}"; '
            f"filename*=UTF-8''{quote(full, safe='')}")
