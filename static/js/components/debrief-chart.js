// A debrief question's chart: one indicator, or a pair's trust and readiness, over the played time, drawn with
// Chart.js (static/vendor/chart.umd.min.js: vendored, no CDN), loaded on demand by lib/charts.js.
//
// Series come from the replay timeline (GET /api/exercises/<id>/replay/timeline): {id, kind, name, min, max,
// points: [[played seconds, value, seq]]}, a point at the start and at each change; a value holds until the next.

import {loadChart} from '../lib/charts.js';
import {h} from '../lib/dom.js';

const THEMES = {
  dark: {text: '#dbe5f3', muted: '#9fb0c6', grid: 'rgba(159, 176, 198, 0.22)', lines: ['#4ea8ff', '#fbbf24']},
  light: {text: '#17202b', muted: '#586474', grid: 'rgba(88, 100, 116, 0.18)', lines: ['#1f5fd1', '#a45a06']},
};

const minutes = (seconds) => Math.round((seconds / 60) * 10) / 10;

/** Points as {x: minutes, y}, carried on to `end` (the last value holds until the end of play). */
function steps(points, end) {
  const data = points.map(([played, value]) => ({x: minutes(played), y: value}));
  if (data.length && minutes(end) > data[data.length - 1].x) data.push({x: minutes(end), y: data[data.length - 1].y});
  return data;
}

/** The chart's words for a screen reader: start and end of each series. */
function describe(series, ladder) {
  return series.map((s) => {
    const word = (v) => (s.kind === 'readiness' && ladder ? ladder[v] ?? v : v);
    const first = s.points[0]?.[1];
    const last = s.points[s.points.length - 1]?.[1];
    return `${s.name}: from ${word(first)} to ${word(last)} (${s.points.length - 1} change${s.points.length === 2 ? '' : 's'})`;
  }).join('; ');
}

/**
 * One chart of `series` (one or two: a second gets its own axis on the right, e.g. readiness beside trust).
 * @param {object[]} series  timeline series
 * @param {object} o
 * @param {number} o.played  seconds of play at the end (the x axis runs from 0 to there)
 * @param {string[]} [o.ladder]  the readiness ladder (to label a readiness axis)
 * @param {'dark'|'light'} [o.theme]
 * @param {number} [o.fontSize]
 * @returns {{el: HTMLElement, destroy: () => void}}
 */
export function debriefChart(series, {played, ladder = null, theme = 'dark', fontSize = 16}) {
  const colours = THEMES[theme] || THEMES.dark;
  const canvas = h('canvas', {role: 'img', 'aria-label': describe(series, ladder), 'data-testid': 'debrief-chart'});
  const el = h('div', {class: ['debrief-chart', `debrief-chart--${theme}`]}, canvas);
  let chart = null;
  let gone = false;
  const end = Math.max(played || 0, ...series.flatMap((s) => s.points.map((p) => p[0])), 60);
  const axis = (s, i) => {
    const readiness = s.kind === 'readiness';
    return {
      type: 'linear', position: i ? 'right' : 'left', min: s.min, max: s.max,
      grid: {color: colours.grid, drawOnChartArea: i === 0},
      border: {color: colours.grid},
      title: {display: series.length > 1, text: readiness ? 'Readiness' : s.kind === 'trust' ? 'Trust' : s.name,
              color: colours.lines[i], font: {size: fontSize}},
      ticks: readiness
        ? {color: colours.text, font: {size: fontSize}, stepSize: 1, ...(ladder ? {callback: (v) => ladder[v] ?? v} : {})}
        : {color: colours.text, font: {size: fontSize}, precision: 0},
    };
  };
  loadChart().then((Chart) => {
    if (gone) return;
    const scales = {
      x: {type: 'linear', min: 0, max: minutes(end),
          title: {display: true, text: 'minutes of play', color: colours.muted, font: {size: fontSize}},
          grid: {color: colours.grid}, border: {color: colours.grid},
          ticks: {color: colours.text, font: {size: fontSize}, precision: 0}},
    };
    series.forEach((s, i) => { scales[i ? 'y1' : 'y'] = axis(s, i); });
    chart = new Chart(canvas, {
      type: 'line',
      data: {
        datasets: series.map((s, i) => ({
          label: s.name, data: steps(s.points, end), yAxisID: i ? 'y1' : 'y', stepped: 'before',  // a value holds from its change until the next (Chart.js 'before': the step is at the new point)
          borderColor: colours.lines[i], backgroundColor: colours.lines[i], borderWidth: 4,
          pointRadius: (ctx) => (ctx.dataIndex === ctx.dataset.data.length - 1 ? 0 : 5), pointHoverRadius: 7,
        })),
      },
      options: {
        responsive: true, maintainAspectRatio: false, animation: false, parsing: true,
        interaction: {mode: 'nearest', intersect: false},
        plugins: {
          legend: {display: series.length > 1, labels: {color: colours.text, font: {size: fontSize}, boxWidth: 18}},
          tooltip: {titleFont: {size: fontSize}, bodyFont: {size: fontSize},
                    callbacks: {title: (items) => `minute ${items[0]?.parsed.x ?? ''}`}},
        },
        scales,
      },
    });
  }).catch((err) => {
    if (!gone) el.replaceChildren(h('p', {class: 'debrief-note'}, err.message));
  });
  return {
    el,
    destroy() {
      gone = true;
      chart?.destroy();
      chart = null;
    },
  };
}
