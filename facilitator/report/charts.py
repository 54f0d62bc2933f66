"""The report's charts: matplotlib draws each series over played time as SVG, on the server.

Matplotlib is imported on first use (the server starts without paying for it) and only its object-oriented
API is used (no pyplot, whose global figures are not for a threaded server); its settings are global, so one
chart is drawn at a time. Text stays text (searchable, and a tenth of the size of glyphs drawn as paths), in
DejaVu Sans, the font matplotlib measures with (and ships), or one of the same metrics where a reader's
machine lacks it. Each SVG's ids are prefixed with the chart's own, so many charts live in one HTML page, and its styles are
presentation attributes (no inline style, which a strict Content-Security-Policy refuses).
"""

from __future__ import annotations

import io
import itertools
import re
import threading

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


def indicator_chart(name: str, points: list, low: int, high: int, end: float, phases: list, marks: list,
                    thresholds: list[int]) -> Markup:
    """An indicator's value over played time (``points``: ``[played, value, seq]``, the first its start),
    between its bounds; the phases as vertical lines, ``thresholds`` as dashed ones, and each of ``marks``
    (``(played, seq, number)``: the moves listed under the chart) as a numbered dot."""
    def draw(fig):
        ax = fig.add_subplot()
        xs, ys = _steps(points, end)
        ax.step(xs, ys, where="post", color=INK, linewidth=1.6)
        _marks(ax, points, marks)
        for at in thresholds:
            ax.axhline(at, color=MARK, linestyle=(0, (4, 3)), linewidth=0.8, alpha=0.7)
        span = max(1, high - low)
        ax.set_ylim(low - span * 0.04, high + span * 0.12)
        _frame(ax, name, end, phases)
    return _svg(draw)


def pair_chart(name: str, trust: list, readiness: list, ladder: list, end: float, phases: list,
               marks: list) -> Markup:
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
        dots = [(played, seq, n) for played, seq, n in marks]
        _marks(ax, trust, dots, values=lambda seq, played: at[seq][1] if seq in at else _value_at(trust, played))
        _frame(ax, name, end, phases)
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


def _marks(ax, points: list, marks: list, values=None) -> None:
    at = {p[2]: p[1] for p in points}
    values = values or (lambda seq, played: at.get(seq, _value_at(points, played)))
    for played, seq, number in marks:
        y = values(seq, played)
        ax.plot([played / 60], [y], marker="o", markersize=3.6, color=MARK, zorder=5)
        ax.annotate(str(number), (played / 60, y), xytext=(0, 7), textcoords="offset points", ha="center",
                    va="bottom", fontsize=6.5, color=MARK, zorder=6,
                    bbox={"boxstyle": "round,pad=0.15", "facecolor": "white", "edgecolor": "none", "alpha": 0.85})


def _frame(ax, name: str, end: float, phases: list) -> None:
    right = max(end / 60, 1.0)
    ax.set_xlim(0, right * 1.02)
    ax.grid(axis="y", color=GRID, linewidth=0.6)
    ax.set_axisbelow(True)
    top = ax.get_ylim()[1]
    previous, row = None, 0
    for played, title in phases:
        ax.axvline(played / 60, color=MUTED, linewidth=0.6, alpha=0.6)
        # A phase opened soon after the one before gets its name on the next line down, not over it.
        row = (row + 1) % 3 if previous is not None and played / 60 - previous < right * 0.14 else 0
        previous = played / 60
        late = played / 60 > right * 0.8  # near the right end: the name goes left of its line
        label = _short(title.split(":", 1)[-1].strip(), 28)
        ax.annotate(f"{label} " if late else f" {label}", (played / 60, top), xytext=(0, -8 * row),
                    textcoords="offset points", fontsize=6, color=MUTED, va="top", ha="right" if late else "left",
                    annotation_clip=False)
    ax.set_xlabel("played time (minutes)", color=MUTED)
    ax.set_title(_short(name, 90), loc="left", fontsize=9, color=INK)


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


def _svg(draw, margin: float = 0.97) -> Markup:
    """Draw on a new figure (``margin``: where its axes end, as a fraction of its width) and return its SVG (ids
    made unique to it; no XML prologue, no comments)."""
    import matplotlib
    from matplotlib.backends.backend_svg import FigureCanvasSVG
    from matplotlib.figure import Figure

    with _lock, matplotlib.rc_context(_RC):
        fig = Figure(figsize=(WIDTH, HEIGHT))  # fixed margins: a constrained layout would cost half the time
        fig.subplots_adjust(left=0.075, right=margin, top=0.85, bottom=0.19)
        FigureCanvasSVG(fig)
        draw(fig)
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
    return Markup(svg.strip())
