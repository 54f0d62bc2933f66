"""A deck's print pack: role sheets, the umpire's packet, a student handout and an index, as print-ready HTML
made from the deck itself (never kept by hand).

``build.py`` says what each sheet holds, as plain data; ``render.py`` lays it out with the templates (inline
CSS, A4 or Letter). Served at ``GET /decks/<deck>/print[/<sheet>]`` (``print_views.py``) and written by
``facilitator scenarios print``; docs/teaching.md says what the pack holds.
"""

from .build import effects_words, handout, reading_list, role_sheet, umpire_packet
from .render import PAPERS, UnknownSheet, Where, is_private, render_sheet, sheet_names, sheets, style_source, \
    stylesheet, write_pack

__all__ = ["PAPERS", "UnknownSheet", "Where", "effects_words", "handout", "is_private", "reading_list",
           "render_sheet", "role_sheet", "sheet_names", "sheets", "style_source", "stylesheet", "umpire_packet",
           "write_pack"]
