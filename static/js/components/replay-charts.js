// The indicators, and each trust and readiness pair, over played time, as one perspective saw them: a stepped
// line per series (Chart.js, loaded on demand), a point at each event that moved it (click: the replay jumps
// there) and a vertical line where the replay stands.

import {h, replace} from '../lib/dom.js';
import {loadChart} from '../lib/charts.js';
import {formatPlayed} from '../lib/replay.js';
import {emptyNote, errorLine, showError} from './ui.js';

const COLOURS = {indicator: '#1f5fd1', trust: '#0f8a72', readiness: '#6d3fc9'};
const CURSOR = '#d97706';

/**
 * @param {object} o
 * @param {(seq: number) => void} o.onSeek  a point was clicked
 */
export function replayCharts({onSeek}) {
  const intro = h('p', {class: 'hint rp-charts-intro'});
  const grid = h('div', {class: 'rp-charts'});
  const error = errorLine();
  const el = h('div', {class: 'rp-charts-panel'}, intro, error, grid);
  let charts = [];
  let data = null;  // {series, played, ladder, label}
  let cursor = 0;
  let visible = false;
  let built = null;  // the data the charts were built from
  let signature = '';

  function destroy() {
    for (const c of charts) c.chart.destroy();
    charts = [];
  }

  async function build() {
    if (!visible || !data || built === data) return;
    const wanted = data;
    let Chart;
    try {
      Chart = await loadChart();
      showError(error, null);
    } catch (err) {
      showError(error, err);
      return;
    }
    if (wanted !== data || !visible) return;
    built = data;
    destroy();
    const {series, played, ladder, label} = data;
    intro.textContent = `As ${label} saw them. Each point is an event that moved the value: click one to go there.`;
    if (!series.length) {
      replace(grid, emptyNote('No indicator or relation was shown to this perspective.'));
      return;
    }
    const end = Math.max(1, played);
    const boxes = series.map((s) => {
      const canvas = h('canvas', {role: 'img', 'aria-label': describe(s, ladder)});
      const box = h('figure', {class: ['rp-chart', `rp-chart--${s.kind}`], dataset: {series: s.id}},
        h('figcaption', {class: 'rp-chart-title'}, s.name), h('div', {class: 'rp-chart-box'}, canvas));
      return {s, canvas, box};
    });
    replace(grid, ...boxes.map((b) => b.box));
    charts = boxes.map(({s, canvas}) => {
      const colour = COLOURS[s.kind] || COLOURS.indicator;
      const points = s.points.map(([x, y, seq]) => ({x, y, seq}));
      const last = points[points.length - 1];
      if (last && last.x < end) points.push({x: end, y: last.y, seq: null});  // the line runs on to the end
      const readiness = s.kind === 'readiness';
      const chart = new Chart(canvas, {
        type: 'line',
        data: {datasets: [
          {label: s.name, data: points, stepped: 'before', borderColor: colour, backgroundColor: colour, borderWidth: 2,
           pointRadius: (ctx) => (ctx.raw?.seq == null ? 0 : ctx.raw.seq === 0 ? 3 : 5),
           pointHoverRadius: (ctx) => (ctx.raw?.seq == null ? 0 : 8), pointHitRadius: 8},
          {label: 'Now', data: cursorLine(cursor, s), borderColor: CURSOR, borderWidth: 2, pointRadius: 0,
           pointHitRadius: 0, pointHoverRadius: 0},
        ]},
        options: {
          animation: false,
          responsive: true,
          maintainAspectRatio: false,
          interaction: {mode: 'nearest', intersect: true},
          scales: {
            x: {type: 'linear', min: 0, max: end, ticks: {callback: (v) => formatPlayed(v)},
                afterBuildTicks: (axis) => { axis.ticks = timeTicks(end); }},
            y: {min: s.min, max: s.max, ticks: readiness
              ? {stepSize: 1, callback: (v) => ladder[v] ?? v}
              : {maxTicksLimit: 5, precision: 0}},
          },
          plugins: {
            legend: {display: false},
            tooltip: {
              filter: (item) => item.datasetIndex === 0 && item.raw?.seq != null,
              callbacks: {
                title: (items) => (items[0] ? `${formatPlayed(items[0].raw.x)} · event #${items[0].raw.seq}` : ''),
                label: (item) => `${s.name}: ${valueText(s, item.raw.y, ladder)}`,
              },
            },
          },
          onClick: (evt, elements) => {
            const hit = elements.find((e) => e.datasetIndex === 0);
            const raw = hit ? chart.data.datasets[0].data[hit.index] : null;
            if (raw && raw.seq != null) onSeek(raw.seq);
          },
          onHover: (evt, elements) => {
            const hit = elements.some((e) => e.datasetIndex === 0 && chart.data.datasets[0].data[e.index]?.seq != null);
            canvas.classList.toggle('is-pointing', hit);
          },
        },
      });
      return {chart, s};
    });
  }

  function moveCursor() {
    for (const {chart, s} of charts) {
      chart.data.datasets[1].data = cursorLine(cursor, s);
      chart.update('none');
    }
  }

  return {
    el,
    /** The series of a timeline, its played length, the readiness ladder's words and the perspective's name. */
    setData(next) {
      const sig = JSON.stringify(next);
      if (sig === signature) return;  // a timeline fetched again, unchanged: the charts stay as they are
      signature = sig;
      data = next;
      build();
    },
    /** The replay's position, in played seconds. */
    setCursor(played) {
      if (played === cursor) return;
      cursor = played;
      if (visible && built === data) moveCursor();
    },
    shown(isVisible) {
      visible = isVisible;
      if (!visible) return;
      if (built !== data) build(); else moveCursor();
    },
    /** The charts, for tests and the debrief: [{id, chart}] */
    get charts() {
      return charts.map((c) => ({id: c.s.id, chart: c.chart}));
    },
  };
}

/** The time axis's ticks: every round number of minutes (a step giving six ticks at most) up to the end. */
function timeTicks(end) {
  const step = [60, 120, 300, 600, 900, 1200, 1800, 3600, 7200].find((s) => end / s <= 6) || 3600 * Math.ceil(end / 21600);
  const ticks = [];
  for (let t = 0; t <= end + 1e-6; t += step) ticks.push({value: t});
  return ticks;
}

function cursorLine(played, s) {
  return [{x: played, y: s.min}, {x: played, y: s.max}];
}

function valueText(s, value, ladder) {
  return s.kind === 'readiness' && ladder[value] ? `${ladder[value]} (${value})` : String(value);
}

/** The chart in words, for a screen reader: its values and when they changed. */
function describe(s, ladder) {
  const steps = s.points.map(([x, y]) => `${valueText(s, y, ladder)} at ${formatPlayed(x)}`);
  const shown = steps.length > 12 ? [...steps.slice(0, 6), '…', ...steps.slice(-5)] : steps;
  return `${s.name}, from ${s.min} to ${s.max}: ${shown.join('; ')}.`;
}
