"""The report's charts: matplotlib draws each series over played time as SVG, on the server.

Matplotlib is imported on first use (the server starts without paying for it) and only its object-oriented
API is used (no pyplot, whose global figures are not for a threaded server); its settings are global, so one
chart is drawn at a time. Text stays text (searchable, and a tenth of the size of glyphs drawn as paths), in
DejaVu Sans, the font matplotlib measures with (and ships), or one of the same metrics where a reader's
machine lacks it. Each SVG's ids are prefixed with the chart's own, so many charts live in one HTML page, and its styles are
presentation attributes (no inline style, which a strict Content-Security-Policy refuses).
"""

from __future__ import annotations

import functools
import io
import itertools
import re
import threading
from typing import NamedTuple

from markupsafe import Markup

WIDTH, HEIGHT = 7.2, 2.5  # inches: the width of an A4 page within its margins
INK, MUTED, GRID = "#1f2933", "#7b8794", "#e4e7eb"
TRUST, READINESS, MARK = "#2463eb", "#c2410c", "#b91c1c"
FONTS = "'DejaVu Sans', 'Bitstream Vera Sans', Verdana, sans-serif"  # Vera's metrics, wherever it is opened
_lock = threading.Lock()
_numbers = itertools.count(1)
_RC = {"svg.fonttype": "none", "svg.hashsalt": "facilitator-report", "font.family": "DejaVu Sans",
       "font.size": 8, "text.parse_math": False, "axes.edgecolor": MUTED, "axes.labelcolor": INK,
       "xtick.color": MUTED, "ytick.color": MUTED, "axes.spines.top": False, "axes.spines.right": False}


def played_label(seconds: float) -> str:
    seconds = int(seconds)
    return f"{seconds // 3600}:{seconds // 60 % 60:02d}"


class Chart(NamedTuple):
    """A chart's SVG, and whether some phase is named on it only by its number (the page then lists them)."""

    svg: Markup
    numbered_phases: bool


def indicator_chart(name: str, points: list, low: int, high: int, end: float, phases: list, marks: list,
                    thresholds: list[int]) -> Chart:
    """An indicator's value over played time (``points``: ``[played, value, seq]``, the first its start),
    between its bounds; the phases (``(played, title)``) as vertical lines, ``thresholds`` as dashed ones,
    and each of ``marks`` (``(played, seq, number)``: the moves listed under the chart) as a numbered dot."""
    def draw(fig):
        ax = fig.add_subplot()
        xs, ys = _steps(points, end)
        ax.step(xs, ys, where="post", color=INK, linewidth=1.6)
        for at in thresholds:
            ax.axhline(at, color=MARK, linestyle=(0, (4, 3)), linewidth=0.8, alpha=0.7)
        span = max(1, high - low)
        ax.set_ylim(low - span * 0.04, high + span * 0.12)
        taken = _Taken(ax)
        numbered = _frame(ax, name, end, phases, taken)
        _marks(ax, points, end, marks, taken)
        return numbered
    return _svg(draw)


def pair_chart(name: str, trust: list, readiness: list, ladder: list, end: float, phases: list,
               marks: list) -> Chart:
    """Trust (0-100, left) and readiness (the ladder's rungs, right) between two delegations over played
    time, with each move of either as a numbered dot on the trust line."""
    def draw(fig):
        ax = fig.add_subplot()
        if trust:
            xs, ys = _steps(trust, end)
            ax.step(xs, ys, where="post", color=TRUST, linewidth=1.6, label="trust")
        ax.set_ylim(-4, 112)
        ax.set_ylabel("trust", color=TRUST)
        if readiness:
            rungs = ax.twinx()
            rungs.spines["right"].set_visible(True)
            xs, ys = _steps(readiness, end)
            rungs.step(xs, ys, where="post", color=READINESS, linewidth=1.2, linestyle=(0, (5, 2)))
            rungs.set_ylim(-0.2, max(1, len(ladder) - 1) + 0.5)
            rungs.set_yticks(range(len(ladder)))
            rungs.set_yticklabels([_short(rung) for rung in ladder], color=READINESS, fontsize=6.5)
            rungs.set_ylabel("readiness (dashed)", color=READINESS)
        at = {p[2]: p for p in trust}
        taken = _Taken(ax, spill=2.0 if readiness else 18.0)
        numbered = _frame(ax, name, end, phases, taken)
        _marks(ax, trust, end, marks, taken,
               values=lambda seq, played: at[seq][1] if seq in at else _value_at(trust, played))
        return numbered
    return _svg(draw, margin=0.81 if readiness else 0.97)


# ---- drawing -------------------------------------------------------------------------------------------


def _steps(points: list, end: float) -> tuple[list, list]:
    xs = [p[0] / 60 for p in points] + [max(end, points[-1][0] if points else 0) / 60]
    ys = [p[1] for p in points] + [points[-1][1] if points else 0]
    return xs, ys


def _value_at(points: list, played: float):
    value = points[0][1] if points else 0
    for p in points:
        if p[0] <= played:
            value = p[1]
    return value


class _Taken:
    """The boxes already drawn on a chart (in points from the figure's lower left corner), for the next label to
    keep clear of: phase names first, then the moves' dots, then their numbers."""

    def __init__(self, ax, spill: float = 18.0):
        """``spill``: how far (points) a label may reach right of the axes (not over a right-hand axis)."""
        self.ax, self.spill = ax, spill
        self.scale = 72 / ax.figure.dpi  # display pixels -> points
        self.boxes: list[tuple[float, float, float, float]] = []
        box = ax.bbox
        self.left, self.right = box.x0 * self.scale, box.x1 * self.scale
        self.bottom, self.top = box.y0 * self.scale, box.y1 * self.scale
        self.figure_top = ax.figure.bbox.y1 * self.scale

    def point(self, x: float, y: float) -> tuple[float, float]:
        """Data coordinates -> points."""
        px, py = self.ax.transData.transform((x, y))
        return px * self.scale, py * self.scale

    def overlap(self, box: tuple[float, float, float, float], gap: float = 1.0) -> float:
        """The area of ``box`` (``x0, y0, x1, y1``, widened by ``gap``) that others already cover."""
        x0, y0, x1, y1 = box[0] - gap, box[1] - gap, box[2] + gap, box[3] + gap
        return sum(max(0.0, min(x1, b[2]) - max(x0, b[0])) * max(0.0, min(y1, b[3]) - max(y0, b[1]))
                   for b in self.boxes)

    def add(self, box: tuple[float, float, float, float]) -> None:
        self.boxes.append(box)

    def add_steps(self, xs: list, ys: list, width: float = 1.6) -> None:
        """A step line (``xs``, ``ys`` as drawn with ``where="post"``) as thin boxes: a number sits beside it,
        not on it."""
        half = width / 2
        for x0, x1, y0, y1 in zip(xs, xs[1:], ys, ys[1:]):
            (a, b), (c, d) = self.point(x0, y0), self.point(x1, y1)
            self.add((a, b - half, c, b + half))  # along, at the value so far
            self.add((c - half, min(b, d), c + half, max(b, d)))  # the step up or down to the next


@functools.lru_cache(maxsize=4096)
def _text_width(text: str, size: float) -> float:
    """The width of ``text`` in points, in the charts' font at ``size``."""
    from matplotlib.font_manager import FontProperties
    from matplotlib.textpath import TextToPath

    return TextToPath().get_text_width_height_descent(text, FontProperties(family="DejaVu Sans", size=size),
                                                       ismath=False)[0]


LABEL_BOX = {"boxstyle": "round,pad=0.15", "facecolor": "white", "edgecolor": "none", "alpha": 0.85}
# Where a move's number may go, in order of preference: (dx, dy) from its dot in points, and its alignment.
_SPOTS = ((0, 5, "center", "bottom"), (0, -5, "center", "top"), (5, 1, "left", "bottom"),
          (-5, 1, "right", "bottom"), (5, -1, "left", "top"), (-5, -1, "right", "top"),
          (0, 14, "center", "bottom"), (0, -14, "center", "top"), (10, 9, "left", "bottom"),
          (-10, 9, "right", "bottom"))


def _marks(ax, points: list, end: float, marks: list, taken: _Taken, values=None) -> None:
    """Each of ``marks`` as a dot on the step line of ``points`` with its number beside it: above it when there
    is room, else below, to a side or a little further off, wherever it covers no other number, dot, phase
    name or the line itself (or covers the least)."""
    at = {p[2]: p[1] for p in points}
    values = values or (lambda seq, played: at.get(seq, _value_at(points, played)))
    if points:
        taken.add_steps(*_steps(points, end))
    placed = []
    for played, seq, number in marks:
        value = values(seq, played)
        placed.append((played / 60, value, number, *taken.point(played / 60, value)))
    for *_, x, y in placed:
        taken.add((x - 2.2, y - 2.2, x + 2.2, y + 2.2))  # every dot first: no number hides one
    size = 6.5
    for minutes, value, number, x, y in placed:
        ax.plot([minutes], [value], marker="o", markersize=3.6, color=MARK, zorder=5)
        width, height = _text_width(str(number), size) + 2.0, size * 1.05 + 1.0
        best = None
        for dx, dy, ha, va in _SPOTS:
            x0 = x + dx - (width / 2 if ha == "center" else width if ha == "right" else 0)
            y0 = y + dy - (height if va == "top" else 0)
            box = (x0, y0, x0 + width, y0 + height)
            outside = x0 < taken.left - 4 or box[2] > taken.right + taken.spill or y0 < taken.bottom - 2 \
                or box[3] > taken.figure_top
            cost = taken.overlap(box) + (1e6 if outside else 0)
            if best is None or cost < best[0]:
                best = (cost, dx, dy, ha, va, box)
            if cost == 0:
                break
        _, dx, dy, ha, va, box = best
        taken.add(box)
        ax.annotate(str(number), (minutes, value), xytext=(dx, dy), textcoords="offset points", ha=ha, va=va,
                    fontsize=size, color=MARK, zorder=6, bbox=LABEL_BOX, annotation_clip=False)


_PHASE = re.compile(r"^Phase (\d+): (.*?)(?: \((\d+ min)\))?$")


def phase_words(title: str) -> tuple[str, str, str | None]:
    """A phase's moment title ("Phase 3: Signing (15 min)") -> its number, name and planned time ("3",
    "Signing", "15 min"); ("", the title, None) for another title."""
    found = _PHASE.match(title)
    return found.groups() if found else ("", title.split(":", 1)[-1].strip(), None)


def _frame(ax, name: str, end: float, phases: list, taken: _Taken) -> bool:
    """The time axis, the title, and each phase as a vertical line named at the top: by its name and planned
    minutes where that fits on one of two rows without covering another's, else by its name, else by its
    number alone (on one of three rows). Returns whether some phase has only its number."""
    right = max(end / 60, 1.0)
    ax.set_xlim(0, right * 1.02)
    ax.grid(axis="y", color=GRID, linewidth=0.6)
    ax.set_axisbelow(True)
    top = ax.get_ylim()[1]
    size, row_height = 6.0, 8.0
    numbered = False
    for played, title in phases:
        ax.axvline(played / 60, color=MUTED, linewidth=0.6, alpha=0.6)
    for played, title in phases:
        number, label, minutes = phase_words(title)
        x = taken.point(played / 60, top)[0]
        choices = [(f"{label} ({minutes})" if minutes else label, (0, 1)), (_short(label, 24), (0, 1)),
                   (number or _short(label, 3), (0, 1, 2))]
        for text, rows in choices:
            width = _text_width(text, size) + 3.0
            spot = None
            for row in rows:
                for ha in ("left", "right"):
                    x0 = x + 1 if ha == "left" else x - 1 - width
                    if x0 < taken.left - 2 or x0 + width > taken.right + min(8.0, taken.spill):
                        continue
                    y1 = taken.top - row * row_height
                    box = (x0, y1 - row_height + 1.5, x0 + width, y1)
                    if not taken.overlap(box, gap=0.7):
                        spot = (row, ha, box)
                        break
                if spot:
                    break
            if spot:
                row, ha, box = spot
                taken.add(box)
                numbered = numbered or text == number != ""
                ax.annotate(text, (played / 60, top), xytext=(1.5 if ha == "left" else -1.5, -1 - row_height * row),
                            textcoords="offset points", fontsize=size, color=MUTED, va="top", ha=ha,
                            annotation_clip=False, zorder=4,
                            bbox={**LABEL_BOX, "boxstyle": "square,pad=0.1"})
                break
        else:
            numbered = True  # not even its number fits: the page lists the phases
    ax.set_xlabel("played time (minutes)", color=MUTED)
    ax.set_title(_short(name, 90), loc="left", fontsize=9, color=INK)
    return numbered


def _short(text: str, most: int = 22) -> str:
    text = str(text)
    return text if len(text) <= most else text[:most - 1] + "…"


_ID = re.compile(r'\bid="([^"]+)"')


def _attributes(style: re.Match) -> str:
    """A style attribute as SVG presentation attributes (``fill="…" stroke="…"``): a chart needs no inline
    style, so a page whose policy forbids them shows it whole."""
    out = []
    for declaration in style.group(1).split(";"):
        name, _, value = declaration.partition(":")
        name, value = name.strip(), value.strip()
        if name == "font-family":
            value = FONTS
        if name and value:
            out.append(f' {name}="{value}"')
    return "".join(out)


def _svg(draw, margin: float = 0.97) -> Chart:
    """Draw on a new figure (``margin``: where its axes end, as a fraction of its width) and return its SVG (ids
    made unique to it; no XML prologue, no comments), with what ``draw`` returned: whether a phase is
    numbered only."""
    import matplotlib
    from matplotlib.backends.backend_svg import FigureCanvasSVG
    from matplotlib.figure import Figure

    with _lock, matplotlib.rc_context(_RC):
        fig = Figure(figsize=(WIDTH, HEIGHT))  # fixed margins: a constrained layout would cost half the time
        fig.subplots_adjust(left=0.075, right=margin, top=0.85, bottom=0.19)
        FigureCanvasSVG(fig)
        numbered = bool(draw(fig))
        buffer = io.StringIO()
        fig.savefig(buffer, format="svg", metadata={"Date": None, "Creator": None})
        number = next(_numbers)
    svg = buffer.getvalue()
    svg = svg[svg.index("<svg"):]
    svg = re.sub(r"<!--.*?-->", "", svg, flags=re.S)
    svg = re.sub(r"<metadata>.*?</metadata>", "", svg, flags=re.S)
    svg = re.sub(r'<defs>\s*<style type="text/css">[^<]*</style>\s*</defs>', "", svg)  # as attributes, below
    svg = re.sub(r' style="([^"]*)"', _attributes, svg)
    prefix = f"c{number}-"
    ids = set(_ID.findall(svg))
    svg = _ID.sub(lambda m: f'id="{prefix}{m.group(1)}"', svg)
    svg = re.sub(r'(href="|url\()#([^")]+)', lambda m: f"{m.group(1)}#{prefix}{m.group(2)}"
                 if m.group(2) in ids else m.group(0), svg)
    svg = re.sub(r'<svg ([^>]*?)width="[^"]*" height="[^"]*"', r'<svg \1', svg, count=1)
    svg = svg.replace("<svg ", '<svg class="chart-svg" role="img" stroke-linejoin="round" stroke-linecap="butt" ', 1)
    if re.search(r"<script|\son[a-z]+=|javascript:", svg, flags=re.I):  # never from matplotlib; never let through
        raise ValueError("unexpected content in a chart")
    return Chart(Markup(svg.strip()), numbered)
