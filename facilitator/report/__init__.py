"""The after-action report: an exercise as one perspective saw it, as one self-contained HTML file or a PDF.

``build_report`` gathers it through the visibility boundary (``build.py``), ``charts.py`` draws its charts
as SVG, ``render.py`` writes it out. Served at ``GET /api/exercises/<id>/report`` and by
``facilitator exercises report``; docs/replay.md, "After-action report", says what it holds.
"""

from .build import Entry, Report, build_report, perspective_label
from .render import FORMATS, PdfUnavailable, content_disposition, filename, render_html, render_pdf, style_source

__all__ = ["Entry", "FORMATS", "PdfUnavailable", "Report", "build_report", "content_disposition", "filename",
           "perspective_label", "render_html", "render_pdf", "style_source"]
