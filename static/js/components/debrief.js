// The debrief, once the exercise has ended: the room's screen (the projector's debrief view) and exercise
// control's Debrief card, which drives it.
//
// The server says what each viewer may see (docs/protocol.md): `debrief_question` is the question the umpire
// shows the room, with its focus; `assessment` holds the objectives and red lines measured against the end,
// the viewer's own and those the umpire revealed (exercise control: all); `debrief` is exercise control's list
// of the deck's questions; `secrets`, the secret cards dealt, shown beside their holder's objectives once revealed
// (exercise control: all of them). A focus is drawn from the replay timeline fetched with this page's own token, as
// the perspective the page may take (the projector: `public`; exercise control: `umpire`), so nothing is
// shown that the boundary did not let through: a pair's trust, known only to the two delegations, has no
// chart on the projector.

import {h, renderIfChanged, replace, uid} from '../lib/dom.js';
import {api} from '../lib/api.js';
import {debriefChart} from './debrief-chart.js';
import {secretsOf} from './brief.js';
import {card, emptyNote, errorLine} from './ui.js';

const KIND_WORDS = {signal: 'signals', agreement: 'agreements', inject: 'injects', adjudication: 'rulings and risk draws',
                    ceasefire: 'the cease-fire', phase: 'phases'};

/** The timeline as perspective `as`, fetched at most once per seq of the log. */
function timelines(model) {
  const cache = new Map();
  return (as) => {
    const key = `${as}@${model.conn?.lastSeq ?? model.state?.last_seq ?? 0}`;
    if (!cache.has(key)) {
      const path = `/api/exercises/${encodeURIComponent(model.exerciseId)}/replay/timeline?as=${encodeURIComponent(as)}`;
      const found = api(path, {token: model.token});
      found.catch(() => cache.delete(key));
      cache.set(key, found);
    }
    return cache.get(key);
  };
}

function pairKey(pair) {
  return [...pair].sort().join('~');
}

function names(model, ids) {
  return ids.map((d) => model.delegationName(d)).join(' – ');
}

/** "at 12:30" of played time. */
function playedWords(seconds) {
  const s = Math.max(0, Math.round(seconds || 0));
  return `${Math.floor(s / 60)}:${String(s % 60).padStart(2, '0')}`;
}

/** What a question looks at, in words (for exercise control, and under the question). */
/** Whether this page was shown indicator `id` (a hidden one's very name stays with those who saw it). */
const shown = (model, id) => (model.state?.indicators || []).some((i) => i.id === id);

export function focusWords(model, focus) {
  if (!focus) return '';
  if (focus.indicator) {
    return shown(model, focus.indicator) ? `Chart: ${model.indicatorName(focus.indicator)}` : 'Chart: an indicator the room was not shown';
  }
  if (focus.pair) return `Chart: trust and readiness between ${names(model, focus.pair)}`;
  return `Moments: ${focus.events.map((k) => KIND_WORDS[k] || k).join(', ')}`;
}

/**
 * What a question's focus shows, drawn once the timeline is in: a chart, the matching moments, or a note where
 * this page may not see what the question looks at. Returns {el, destroy}.
 */
function focusView(model, focus, {as, timeline, theme, fontSize}) {
  const el = h('div', {class: 'dbf-focus-body'}, h('p', {class: 'dbf-note'}, 'Loading…'));
  let chart = null;
  let gone = false;
  timeline(as).then((t) => {
    if (gone) return;
    const ladder = model.state?.exercise?.readiness_ladder || [];
    if (focus.events) {
      const moments = t.moments.filter((m) => focus.events.includes(m.kind));
      replace(el, moments.length
        ? h('ol', {class: 'dbf-moments', 'data-testid': 'debrief-moments', 'aria-label': focusWords(model, focus)},
          ...moments.map((m) => h('li', {class: `dbf-moment dbf-moment--${m.kind}`, dataset: {seq: m.seq}},
            h('span', {class: 'dbf-moment-at'}, playedWords(m.played)), h('span', {class: 'dbf-moment-title', dir: 'ltr'}, m.title))))
        : h('p', {class: 'dbf-note'}, `None of these happened in what ${as === 'umpire' ? 'anyone' : 'the room'} was told: ${focus.events.map((k) => KIND_WORDS[k] || k).join(', ')}.`));
      return;
    }
    const ids = focus.indicator ? [`indicator:${focus.indicator}`] : [`trust:${pairKey(focus.pair)}`, `readiness:${pairKey(focus.pair)}`];
    const series = ids.map((id) => t.series.find((s) => s.id === id)).filter(Boolean);
    if (!series.length) {
      replace(el, h('p', {class: 'dbf-note', 'data-testid': 'debrief-private'}, focus.indicator
        ? (shown(model, focus.indicator)
          ? `${model.indicatorName(focus.indicator)} was not shown to the room during the exercise: ask those who saw it.`
          : 'This question looks at an indicator the room was not shown during the exercise: ask those who saw it.')
        : `Trust and readiness between ${names(model, focus.pair)} were known only to the two of them: ask them.`));
      return;
    }
    chart = debriefChart(series, {played: t.played, ladder, theme, fontSize});
    const [first] = series;
    const legend = h('p', {class: 'dbf-chart-caption'}, focus.indicator
      ? `${first.points[0][1]} at the start, ${first.points[first.points.length - 1][1]} at the end (on a scale of ${first.min} to ${first.max})`
      : `Trust (0 to 100) and readiness (${ladder[0] || 'none'} to ${ladder[ladder.length - 1] || 'agreement'}) between ${names(model, focus.pair)}`);
    replace(el, legend, chart.el);
  }).catch((err) => {
    if (!gone) replace(el, h('p', {class: 'dbf-note'}, err.message || 'The timeline could not be loaded.'));
  });
  return {el, destroy() { gone = true; chart?.destroy(); }};
}

/** "2 of 3 objectives met · no red line crossed": a delegation's measured goals in one line. */
function tally(entry) {
  const objectives = entry.objectives.filter((o) => o.met !== null);
  const lines = entry.red_lines.filter((r) => r.crossed !== null);
  const parts = [];
  if (objectives.length) parts.push(`${objectives.filter((o) => o.met).length} of ${objectives.length} measured objective${objectives.length > 1 ? 's' : ''} met`);
  if (lines.length) {
    const crossed = lines.filter((r) => r.crossed).length;
    parts.push(crossed ? `${crossed} red line${crossed > 1 ? 's' : ''} crossed` : 'no measured red line crossed');
  }
  return parts.length ? parts.join(' · ') : 'nothing measured: to discuss';
}

/**
 * One delegation's objectives and red lines against the end: a table, results in words and colour. With
 * `collapsed`, a line to open (the projector keeps the latest reveal open and folds the earlier ones). With
 * `actions` (buttons), the line has its own Show/Hide button instead of being a <summary>, which may hold no
 * button.
 */
function assessmentTable(entry, {headingLevel = 'h3', actions = null, collapsed = null, secrets = []} = {}) {
  // The secret cards' objectives come last among the objectives, where the cards say how many they add.
  const added = secrets.every((x) => Array.isArray(x.card.objectives)) ? secrets.reduce((n, x) => n + x.card.objectives.length, 0) : 0;
  const fromSecret = (i) => i >= entry.objectives.length - added;
  const row = (kind, item, redLine) => {
    const result = redLine ? item.crossed : item.met;
    const word = result === null ? 'to discuss' : redLine ? (result ? 'Crossed' : 'Held') : (result ? 'Met' : 'Not met');
    const tone = result === null ? 'open' : (redLine ? !result : result) ? 'good' : 'bad';
    return h('tr', {class: `dbf-row dbf-row--${tone}`},
      h('th', {scope: 'row', class: 'dbf-kind'}, kind),
      h('td', {class: 'dbf-goal'}, h('p', {class: 'dbf-goal-text', dir: 'auto'}, item.text),
        item.detail ? h('p', {class: 'dbf-goal-detail'}, item.detail) : null),
      h('td', {class: 'dbf-result-cell'}, h('span', {class: `dbf-result dbf-result--${tone}`}, word)));
  };
  const rows = [...entry.objectives.map((o, i) => row(fromSecret(i) ? 'Secret objective' : 'Objective', o, false)),
    ...entry.red_lines.map((r) => row('Red line', r, true))];
  const head = [h(headingLevel, {class: 'dbf-delegation-name'}, entry.name), h('p', {class: 'dbf-tally'}, tally(entry)), actions];
  const table = rows.length ? h('table', {class: 'dbf-table'}, h('tbody', {}, ...rows)) : h('p', {class: 'dbf-note'}, 'No objectives or red lines.');
  const body = secrets.length ? h('div', {}, ...secrets.map((x) => secretDealt(x, entry.name)), table) : table;
  if (collapsed !== null && actions) {
    body.id = uid('dbf-goals');
    body.hidden = collapsed;
    const toggle = h('button', {type: 'button', class: 'btn btn--small dbf-toggle', 'aria-expanded': String(!collapsed),
                                'aria-controls': body.id, dataset: {key: `debrief-goals-${entry.delegation}`}},
    collapsed ? 'Show goals' : 'Hide goals');
    toggle.addEventListener('click', () => {
      body.hidden = !body.hidden;
      toggle.setAttribute('aria-expanded', String(!body.hidden));
      toggle.textContent = body.hidden ? 'Show goals' : 'Hide goals';
    });
    return h('section', {class: 'dbf-delegation', dataset: {delegation: entry.delegation}, 'aria-label': entry.name},
      h('div', {class: 'dbf-delegation-head'}, head[0], head[1], toggle, actions), body);
  }
  if (collapsed !== null) {
    return h('details', {class: 'dbf-delegation', dataset: {delegation: entry.delegation}, open: !collapsed},
      h('summary', {class: 'dbf-delegation-head'}, ...head), body);
  }
  return h('section', {class: 'dbf-delegation', dataset: {delegation: entry.delegation}, 'aria-label': entry.name},
    h('div', {class: 'dbf-delegation-head'}, ...head), body);
}

/** A secret card dealt to a delegation (`holder`: its name), as the debrief shows it beside its objectives. */
function secretDealt(secret, holder) {
  return h('div', {class: 'dbf-secret', dataset: {secret: secret.id, holder: secret.holder}},
    h('p', {class: 'dbf-secret-label'}, `${holder}’s secret card: `, h('span', {dir: 'auto'}, secret.title),
      secret.revealed ? null : h('span', {class: 'dbf-secret-hidden'}, ' (not revealed yet)')),
    h('p', {class: 'dbf-secret-title', dir: 'auto'}, secret.card.title),
    h('p', {class: 'dbf-secret-text', dir: 'auto'}, secret.card.text));
}

// ---- the room's screen --------------------------------------------------------------------------------------

/** The projector's debrief view: the question the umpire shows, its focus, the outcome, what was revealed. */
export function debriefScreen(model) {
  const timeline = timelines(model);
  const count = h('p', {class: 'dbf-count', 'data-testid': 'debrief-count'});
  const question = h('h2', {class: 'dbf-question', 'data-testid': 'debrief-question', dir: 'auto'});
  const focusLabel = h('p', {class: 'dbf-focus-label'});
  const focus = h('div', {class: 'dbf-focus', 'data-testid': 'debrief-focus'});
  const outcome = h('div', {class: 'dbf-outcome', 'data-testid': 'debrief-outcome'});
  const summary = h('div', {class: 'dbf-summary', 'data-testid': 'debrief-summary'});
  const el = h('div', {class: 'dbf', 'data-testid': 'debrief'},
    h('section', {class: 'dbf-main', 'aria-label': 'Debrief question'}, count, question, focusLabel, focus),
    h('section', {class: 'dbf-side', 'aria-label': 'How it ended'},
      h('h2', {class: 'dbf-side-title'}, 'Agreements in force'), outcome,
      h('h2', {class: 'dbf-side-title'}, 'Objectives and red lines'), summary));
  let shown = null;

  function renderFocus(q) {
    shown?.destroy();
    shown = null;
    if (q?.focus) {
      shown = focusView(model, q.focus, {as: 'public', timeline, theme: 'dark', fontSize: 17});
      return shown.el;
    }
    if (q) return null;
    // No question on the screen: how the indicators the room saw moved, start to end.
    const body = h('div', {class: 'dbf-ended'}, h('p', {class: 'dbf-note'}, 'Loading…'));
    timeline('public').then((t) => {
      const rows = t.series.filter((s) => s.kind === 'indicator' && s.points.length);
      replace(body, rows.length ? h('table', {class: 'dbf-indicators', 'data-testid': 'debrief-indicators'},
        h('thead', {}, h('tr', {}, h('th', {scope: 'col'}, 'Indicator'), h('th', {scope: 'col'}, 'Start'), h('th', {scope: 'col'}, 'End'))),
        h('tbody', {}, ...rows.map((s) => {
          const first = s.points[0][1];
          const last = s.points[s.points.length - 1][1];
          return h('tr', {}, h('th', {scope: 'row'}, s.name), h('td', {}, String(first)),
            h('td', {class: last > first ? 'is-up' : last < first ? 'is-down' : ''}, `${last}${last > first ? ' ▲' : last < first ? ' ▼' : ''}`));
        }))) : null);
    }).catch(() => replace(body, null));
    return body;
  }

  function update() {
    const s = model.state;
    if (!s) return;
    const q = s.debrief_question || null;
    count.textContent = q ? `Debrief · question ${q.index + 1} of ${q.count}` : 'Debrief';
    question.textContent = q ? q.question : 'How did it end?';
    focusLabel.textContent = q ? focusWords(model, q.focus) : 'The umpire puts the debrief questions here, one by one.';
    renderIfChanged(focus, [q?.index ?? null, q?.focus ?? null], () => renderFocus(q));
    const inForce = (s.proposals || []).filter((p) => p.status === 'in_force');
    const collapsed = s.ceasefires_collapsed || 0;
    renderIfChanged(outcome, [inForce.map((p) => [p.proposal, p.title]), Boolean(s.ceasefire), collapsed], () => [
      inForce.length ? h('ul', {class: 'dbf-agreements'}, ...inForce.map((p) => h('li', {},
        h('span', {class: 'dbf-agreement-title', dir: 'auto'}, `#${p.proposal} ${p.title}`),
        h('span', {class: 'dbf-agreement-parties'}, p.parties.map((d) => model.delegationName(d)).join(' · ')))))
        : h('p', {class: 'dbf-note'}, 'None.'),
      s.ceasefire ? h('p', {class: 'dbf-ceasefire'}, `A cease-fire held at the end (agreement #${s.ceasefire.agreement}).`) : null,
      collapsed ? h('p', {class: 'dbf-ceasefire'}, collapsed === 1 ? 'A cease-fire collapsed during the exercise.'
        : `${collapsed} cease-fires collapsed during the exercise.`) : null,
      !s.ceasefire && !collapsed ? h('p', {class: 'dbf-note'}, 'No cease-fire was agreed.') : null]);
    // The latest reveal first and open; the earlier ones folded to their one-line tally (a screen's height).
    const revealed = (s.assessment || []).filter((e) => e.revealed).sort((a, b) => b.revealed_at - a.revealed_at);
    const latest = revealed[0]?.revealed_at;
    const dealt = (s.secrets || []).filter((x) => x.revealed);
    renderIfChanged(summary, [revealed, dealt], () => (revealed.length
      ? revealed.map((e) => assessmentTable(e, {headingLevel: 'h3', collapsed: e.revealed_at !== latest,
                                               secrets: secretsOf(s, e.delegation, {revealed: true})}))
      : h('p', {class: 'dbf-note'}, 'Private to each delegation until the umpire reveals them here.')));
  }

  return {el, update};
}

// ---- exercise control's card ----------------------------------------------------------------------------------

/**
 * The Debrief card of the umpire console. Before the end: the deck's questions. After: the question on the room's
 * screens (previous, next, any, none), a preview of its focus as exercise control sees it, and each delegation's
 * objectives and red lines against the end, with a button to reveal them to the room.
 * @param {object} o
 * @param {ExerciseModel} o.model
 * @param {(type: string, fields: object, opts: {button: HTMLElement, errorEl: HTMLElement}) => Promise} o.send
 */
export function debriefControl({model, send}) {
  const timeline = timelines(model);
  const error = errorLine();
  const now = h('div', {class: 'dbc-now', 'data-testid': 'debrief-now'});
  const steps = h('div', {class: 'form-actions dbc-steps'});
  const preview = h('div', {class: 'dbc-preview'});
  const list = h('div', {});
  const reveal = h('div', {class: 'dbc-reveal'});
  const questionsBefore = h('div', {});
  const before = h('div', {}, h('p', {class: 'hint'}, 'Once the exercise has ended, show these questions to the room one by ' +
    'one (the projector follows) and reveal each delegation’s objectives and red lines, measured against the end.'),
  questionsBefore);
  const after = h('div', {class: 'dbc'},
    h('h3', {}, 'On the room’s screens'), now, steps, error, preview,
    h('h3', {}, 'Questions'), list,
    h('h3', {}, 'Objectives and red lines'), reveal);
  const el = card('Debrief', before, after);
  el.id = 'debrief';
  el.dataset.testid = 'debrief-card';
  let shown = null;

  const show = (index, button) => send('show_debrief_question', {index}, {button, errorEl: error});

  // Arrows are drawn, not read: the words say it.
  function stepButton(label, index, key, {before = '', after = ''} = {}) {
    const b = h('button', {type: 'button', class: 'btn', dataset: {key}},
      before ? h('span', {'aria-hidden': 'true'}, `${before} `) : null, label, after ? h('span', {'aria-hidden': 'true'}, ` ${after}`) : null);
    if (index === undefined) b.disabled = true;
    else b.addEventListener('click', () => show(index, b));
    return b;
  }

  function update() {
    const s = model.state;
    const questions = s.debrief || [];
    const ended = Boolean(s.exercise.ended);
    before.hidden = ended;
    after.hidden = !ended;
    if (!ended) {
      renderIfChanged(questionsBefore, questions, () => (questions.length
        ? h('ol', {class: 'debrief'}, ...questions.map((q) => h('li', {}, q))) : emptyNote('None in this deck.')));
      return;
    }
    const q = s.debrief_question || null;
    const index = q ? q.index : null;
    renderIfChanged(now, [index, q?.question], () => (q
      ? [h('p', {class: 'dbc-count'}, `Question ${q.index + 1} of ${q.count}`), h('p', {class: 'dbc-question', dir: 'auto'}, q.question),
        q.focus ? h('p', {class: 'hint'}, focusWords(model, q.focus)) : null]
      : h('p', {}, questions.length ? 'No question: the projector shows how it ended and what you have revealed.'
        : 'This deck has no debrief questions.')));
    renderIfChanged(steps, [index, questions.length], () => [
      stepButton('Previous question', index ? index - 1 : undefined, 'debrief-prev', {before: '◀'}),
      stepButton(index === null ? 'Show question 1' : 'Next question', index === null ? (questions.length ? 0 : undefined)
        : index + 1 < questions.length ? index + 1 : undefined, 'debrief-next', {after: '▶'}),
      // index null: no question (undefined: the button is disabled)
      stepButton('Back to the summary', index === null ? undefined : null, 'debrief-none')]);
    renderIfChanged(preview, [index, q?.focus ?? null], () => {
      shown?.destroy();
      shown = q?.focus ? focusView(model, q.focus, {as: 'umpire', timeline, theme: 'light', fontSize: 13}) : null;
      return shown ? [h('p', {class: 'hint'}, 'As exercise control sees it (the projector shows only what the room was told):'), shown.el] : null;
    });
    renderIfChanged(list, [questions, index], () => (questions.length ? h('ol', {class: 'debrief dbc-questions'},
      ...questions.map((text, i) => {
        const current = i === index;
        const b = h('button', {type: 'button', class: 'btn btn--small', dataset: {key: `debrief-show-${i}`},
                               'aria-label': current ? `Shown: question ${i + 1}` : `Show question ${i + 1} to the room`},
        current ? 'Shown' : 'Show');
        b.disabled = current;
        b.addEventListener('click', () => show(i, b));
        return h('li', {class: current ? 'is-current' : null, 'aria-current': current ? 'true' : null},
          h('span', {dir: 'auto'}, text), ' ', b);
      })) : emptyNote('None in this deck.')));
    const entries = s.assessment || [];
    renderIfChanged(reveal, [entries, s.secrets ?? null], () => {
      const hidden = entries.filter((e) => !e.revealed);
      const all = h('button', {type: 'button', class: 'btn', dataset: {key: 'debrief-reveal-all'}}, 'Reveal all to the room');
      all.disabled = !hidden.length;
      all.addEventListener('click', () => send('reveal_debrief', {delegation: 'all'}, {button: all, errorEl: error}));
      return [
        h('p', {class: 'hint'}, 'Private to each delegation until you reveal them: then every screen shows them, the projector too. ' +
          'A reveal cannot be taken back. “Show goals” tells you how each came out before you reveal it.'),
        h('div', {class: 'form-actions'}, all),
        ...entries.map((e) => {
          let action;
          if (e.revealed) {
            action = h('span', {class: 'badge badge--ok'}, 'revealed');
          } else {
            action = h('button', {type: 'button', class: 'btn btn--small', dataset: {key: `debrief-reveal-${e.delegation}`},
                                  'aria-label': `Reveal to the room: ${e.name}`}, 'Reveal to the room');
            action.addEventListener('click', () => send('reveal_debrief', {delegation: e.delegation}, {button: action, errorEl: error}));
          }
          return assessmentTable(e, {headingLevel: 'h4', actions: action, collapsed: true, secrets: secretsOf(s, e.delegation)});
        })];
    });
  }

  return {el, update};
}
