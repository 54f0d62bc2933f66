// The room's screen: /projector#code=<observer code>. Phase, a big countdown, the indicators as a
// chart, agreements in force and the latest public events, in type readable from the back row. Once the
// exercise has ended, a debrief view (components/debrief.js): the question the umpire shows, its focus, and
// what the umpire reveals; the screen switches to it when the umpire does, and a button switches back.

import {h, isolate, replace, renderIfChanged, svg} from '../lib/dom.js';
import {formatClockTime} from '../lib/clock.js';
import {describeEvent, RECORD_KINDS} from '../lib/format.js';
import {fragment, openSession, rememberInFragment} from '../lib/session.js';
import {connectionStatus, countdown} from '../components/header.js';
import {messagePage} from './console.js';
import {observerSession} from './observe.js';
import {debriefScreen} from '../components/debrief.js';
import {replayLink} from '../components/replay-link.js';

const RECENT = 5;

export function indicatorChart(indicators) {
  const rowH = 124;
  const width = 1000;
  const labelH = 52;
  const barH = 48;
  const height = Math.max(rowH, indicators.length * rowH);
  const rows = indicators.map((ind, i) => {
    const span = ind.max - ind.min || 1;
    const frac = Math.max(0, Math.min(1, (ind.value - ind.min) / span));
    const y = i * rowH;
    const level = frac >= 0.75 ? 'high' : frac >= 0.4 ? 'mid' : 'low';
    return svg('g', {class: `chart-row chart-row--${level}`, 'data-indicator': ind.id},
      svg('text', {x: 0, y: y + labelH - 12, class: 'chart-label'}, ind.name),
      svg('text', {x: width, y: y + labelH - 12, class: 'chart-value', 'text-anchor': 'end'}, String(ind.value)),
      svg('rect', {x: 0, y: y + labelH, width, height: barH, rx: 8, class: 'chart-track'}),
      svg('rect', {x: 0, y: y + labelH, width: Math.max(frac * width, frac > 0 ? 8 : 0), height: barH, rx: 8, class: 'chart-bar'}));
  });
  return svg('svg', {class: 'chart', viewBox: `0 0 ${width} ${height}`, role: 'img',
                     'aria-label': indicators.map((i) => `${i.name} ${i.value} (of ${i.min} to ${i.max})`).join('; ')}, ...rows);
}

export async function mount(root) {
  const code = fragment().get('code');
  if (!code) {
    messagePage(root, {title: 'No observer code', text: 'Open the projector link given when the exercise was created.'});
    return;
  }
  let session;
  try {
    session = await observerSession(code);
  } catch (err) {
    messagePage(root, {title: 'This link does not open an exercise', text: err.message});
    return;
  }
  document.body.classList.add('projector-body');
  const {model, start} = openSession({...session, viewerKey: 'projector'});
  const status = connectionStatus();
  const title = h('h1', {class: 'proj-title'}, '');
  const phase = h('p', {class: 'proj-phase', 'data-testid': 'phase'}, '');
  const phaseBrief = h('p', {class: 'proj-brief'}, '');
  const timer = countdown(model, {big: true});
  const chart = h('div', {class: 'proj-chart'});
  const agreements = h('div', {class: 'proj-agreements', 'data-testid': 'agreements'});
  const recent = h('ol', {class: 'proj-recent', 'data-testid': 'recent'});
  const ceasefire = h('p', {class: 'proj-ceasefire'});
  const announcement = h('div', {class: 'proj-announcement', role: 'status', 'data-testid': 'announcement', hidden: true});

  const replay = replayLink(model, {role: 'observer', code, className: 'btn proj-replay'});  // once it has ended
  const debriefToggle = h('button', {type: 'button', class: 'btn proj-toggle', hidden: true, 'data-testid': 'debrief-toggle'},
    'Debrief');
  const el = h('div', {class: 'projector'},
    h('header', {class: 'proj-head'}, h('div', {}, title, phase), h('div', {class: 'proj-head-side'}, debriefToggle, replay.el, status.el)),
    announcement,
    h('div', {class: 'proj-grid'},
      h('section', {class: 'proj-left', 'aria-label': 'Clock and indicators'}, timer.el, phaseBrief, chart, ceasefire),
      h('section', {class: 'proj-right'},
        h('h2', {}, 'Agreements in force'), agreements,
        h('h2', {}, 'Latest'), recent)));

  // The debrief view replaces the live grid once the exercise has ended, by the toggle or when the umpire
  // shows a question or reveals objectives (the room follows the umpire); kept in the fragment across a reload.
  const debrief = debriefScreen(model);
  const live = el.querySelector('.proj-grid');
  el.append(debrief.el);
  let debriefMode = fragment().get('view') === 'debrief';
  function renderMode() {
    const ended = Boolean(model.state?.exercise?.ended);
    const on = ended && debriefMode;
    debriefToggle.hidden = !ended;
    debriefToggle.textContent = on ? 'Live view' : 'Debrief';
    el.classList.toggle('is-debrief', on);
    live.hidden = on;
    debrief.el.hidden = !on;
    if (on) debrief.update();
  }
  function switchMode(on) {
    debriefMode = on;
    rememberInFragment('view', on ? 'debrief' : '');
    renderMode();
  }
  debriefToggle.addEventListener('click', () => switchMode(!debriefMode));
  model.on('event', ({event, history}) => {
    if (!history && ['debrief_question_shown', 'debrief_revealed'].includes(event.type)) switchMode(true);
  });
  model.on('state', ({first}) => {
    if (first && model.state.debrief_question) debriefMode = true;  // a projector opened in the middle of the debrief
    renderMode();
  });

  function renderState() {
    const s = model.state;
    title.textContent = model.title;
    const ex = s.exercise;
    phase.textContent = ex.ended ? 'The exercise has ended'
      : ex.phase ? `Phase ${ex.phase.index + 1} of ${ex.phases.length}: ${ex.phase.name}` : 'Starting soon';
    phaseBrief.textContent = ex.ended ? '' : ex.phase?.brief || '';
    renderIfChanged(chart, s.indicators, () => (s.indicators.length ? indicatorChart(s.indicators) : null));
    const inForce = s.proposals.filter((p) => p.status === 'in_force');
    renderIfChanged(agreements, inForce, () => (inForce.length
      ? h('ul', {class: 'proj-agreement-list'}, ...inForce.map((p) => h('li', {class: 'proj-agreement', dataset: {proposal: p.proposal}},
        h('p', {class: 'proj-agreement-title'}, `#${p.proposal} `, h('bdi', {}, p.title)),
        h('p', {class: 'proj-agreement-parties'}, p.parties.map((d) => model.delegationName(d)).join(' · ')),
        h('p', {class: 'proj-agreement-clauses'}, p.clauses.map((c) => c.title).join(' · ')))))
      : h('p', {class: 'proj-none'}, 'None yet.')));
    ceasefire.textContent = s.ceasefire ? `Cease-fire holding (agreement #${s.ceasefire.agreement})` : '';
  }

  // The latest announcement stays up until the next phase opens.
  function renderAnnouncement() {
    const last = model.timeline.items.findLast((e) => e.type === 'announcement_made' || e.type === 'phase_advanced');
    const show = last?.type === 'announcement_made';
    announcement.hidden = !show;
    renderIfChanged(announcement, show ? last.seq : null, () => (show
      ? [h('p', {class: 'proj-announcement-title'}, last.summary?.title || 'Announcement'), h('p', {dir: 'auto'}, last.data?.text || '')] : null));
  }

  function renderRecent() {
    renderAnnouncement();
    if (!model.state) return;
    const items = model.timeline.items.filter((e) => RECORD_KINDS.has(describeEvent(e, model).kind) && e.type !== 'indicator_changed')
      .slice(-RECENT).reverse();
    renderIfChanged(recent, items.map((e) => e.seq), () => items.map((e) => {
      const info = describeEvent(e, model);
      return h('li', {class: `proj-event proj-event--${info.kind}`},
        h('time', {datetime: e.at}, formatClockTime(e.at)), h('span', {dir: 'ltr'}, isolate(info.title, info.people)));
    }));
  }

  model.on('status', ({status: s, detail}) => status.set(s, detail));
  model.on('state', ({first}) => {
    if (first) {
      root.classList.remove('loading');
      replace(root, el);
      model.loadOlderTimeline().then(renderRecent).catch(() => {});
    }
    renderState();
    renderRecent();
  });
  model.on('event', renderRecent);
  model.on('summary', () => { title.textContent = model.title; });
  model.on('history', renderRecent);
  replace(root, h('p', {class: 'console-waiting'}, 'Connecting…'));
  start();
}
