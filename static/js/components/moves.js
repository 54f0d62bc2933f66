// Adjudication (docs/protocol.md, "Exercise control: adjudication"). A delegation submits a free move
// (what it does, the result it intends, its reasons) or a card the deck marks as adjudicated; exercise
// control sees the queue with each move's age and rules on it (approved, rejected, modified), with odds
// for a roll the server makes once, effects with a reason, and other delegations told. The mover, and
// those told, see the ruling; nobody else learns the move existed.

import {h, renderIfChanged, uid} from '../lib/dom.js';
import {parseTime} from '../lib/clock.js';
import {badge, card, emptyNote, errorLine, roomLeft, sendCommand, showError} from './ui.js';

const RULINGS = [['approved', 'Approve'], ['modified', 'Modify'], ['rejected', 'Reject']];
const STATUS_WORDS = {waiting: 'waiting for a ruling', approved: 'approved', rejected: 'rejected', modified: 'modified'};
const STATUS_KIND = {waiting: 'pending', approved: 'ok', rejected: 'danger', modified: 'warn'};

/** A submitted card, as the move entry names it (the server sends its title and the deck's odds with it). */
function cardText(move) {
  return move.card_title ? `${move.card_title} (card)` : `card ${move.card}`;
}

/** "waiting 3 min" from the move's submission time, on the server's clock. */
function waitingFor(move, model) {
  const at = parseTime(move.submitted_at);
  if (Number.isNaN(at)) return 'waiting';
  const minutes = Math.floor(Math.max(0, model.clock.now() - at) / 60000);
  if (minutes < 1) return 'waiting under a minute';
  if (minutes < 90) return `waiting ${minutes} min`;
  return `waiting ${Math.floor(minutes / 60)} h ${minutes % 60} min`;
}

/** "Roll 37 against 60%: success", or null without a roll. */
export function rollText(move) {
  if (move.roll == null) return null;
  return `Roll ${move.roll} against ${move.odds}%: ${move.succeeded ? 'success' : 'failure'}`;
}

function facts(rows) {
  const shown = rows.filter(([, v]) => v);
  if (!shown.length) return null;
  return h('dl', {class: 'facts'}, ...shown.flatMap(([k, v]) => [h('dt', {}, k), h('dd', {class: 'move-text', dir: 'auto'}, v)]));
}

function statusBadge(move) {
  return badge(STATUS_WORDS[move.status] || move.status, STATUS_KIND[move.status] || '');
}

function textArea(label, {limit = 2000, rows = 2, value = '', required = false, hint} = {}) {
  const area = h('textarea', {id: uid('mv'), rows: String(rows), 'data-limit': String(limit), required});
  area.value = value;
  const hintEl = hint ? h('small', {class: 'hint', id: `${area.id}-hint`}, hint) : null;
  if (hintEl) area.setAttribute('aria-describedby', hintEl.id);
  return {input: area, el: h('div', {class: 'field'}, h('label', {for: area.id}, label), area, roomLeft(area), hintEl)};
}

function boxes(model, {exclude = []} = {}) {
  return model.state.delegations.filter((d) => !exclude.includes(d.id)).map((d) => h('label', {class: 'check'},
    h('input', {type: 'checkbox', value: d.id}), ' ', d.name));
}

function checkedIn(container) {
  return [...container.querySelectorAll('input[type=checkbox]:checked')].map((i) => i.value);
}

function num(input) {
  const v = input.value.trim();
  return v === '' ? 0 : Number(v);
}

// ---- the umpire: the queue and the ruling ------------------------------------------------------------

function rulingForm(move, {model, conn}) {
  const mover = model.delegationName(move.by);
  const name = uid('ruling');
  const radios = RULINGS.map(([value, label]) => [value, h('input', {type: 'radio', name, value}), label]);
  const outcome = textArea('Outcome: what happens (required when modified)', {rows: 2});
  const deckOdds = move.card ? move.card_odds ?? null : null;
  const odds = h('input', {type: 'number', id: uid('odds'), min: '0', max: '100', step: '1', class: 'input-narrow',
                           value: deckOdds ?? ''});
  const oddsField = h('div', {class: 'field'}, h('label', {for: odds.id}, 'Odds of success (%)'), odds,
    h('small', {class: 'hint'}, deckOdds != null ? `The card’s odds: ${deckOdds}%. The server rolls 1–100 once; empty: no roll.`
      : 'Optional: the server rolls 1–100 once and the move succeeds at or under the odds.'));
  const indicatorInputs = model.state.indicators.map((ind) => {
    const input = h('input', {type: 'number', id: uid('mv-ind'), min: '-1000', max: '1000', step: '1', class: 'input-narrow'});
    return [ind, input, h('label', {class: 'el-effect', for: input.id}, h('span', {}, `Change to ${ind.name}`), input)];
  });
  const trust = h('input', {type: 'number', id: uid('mv-trust'), min: '-100', max: '100', step: '1', class: 'input-narrow'});
  const readiness = h('input', {type: 'number', id: uid('mv-ready'), min: '-10', max: '10', step: '1', class: 'input-narrow'});
  const between = h('div', {class: 'checks'}, ...boxes(model, {exclude: [move.by]}));
  const reason = h('input', {type: 'text', id: uid('mv-reason'), 'data-limit': '120'});
  const effects = h('fieldset', {class: 'move-effects'}, h('legend', {class: 'sr-only'}, 'Effects (if it succeeds)'),
    h('div', {class: 'el-effects'}, ...indicatorInputs.map(([, , label]) => label),
      h('label', {class: 'el-effect', for: trust.id}, h('span', {}, 'Trust change'), trust),
      h('label', {class: 'el-effect', for: readiness.id}, h('span', {}, 'Readiness change'), readiness)),
    h('fieldset', {class: 'move-between'}, h('legend', {}, `Trust and readiness between ${mover} and`), between),
    h('div', {class: 'field'}, h('label', {for: reason.id}, 'Reason (shown with the changes; required with effects)'), reason, roomLeft(reason)));
  const effectsBox = h('details', {class: 'move-effects-box'}, h('summary', {}, 'Effects if it succeeds (optional)'), effects);
  const tell = h('div', {class: 'checks'}, ...boxes(model, {exclude: [move.by]}));
  const submit = h('button', {type: 'submit', class: 'btn btn--primary', dataset: {key: `rule-${move.move}`}}, `Rule on move #${move.move}`);
  const error = errorLine();
  const form = h('form', {class: 'ruling-form', novalidate: true},
    h('fieldset', {class: 'radios'}, h('legend', {}, 'Ruling'),
      ...radios.map(([, input, label]) => h('label', {class: 'check'}, input, ` ${label}`))),
    h('div', {class: 'ruling-grid'},
      h('div', {}, outcome.el, oddsField),
      h('div', {}, h('fieldset', {}, h('legend', {}, `Also tell (${mover} is always told)`), tell), effectsBox)),
    h('div', {class: 'form-actions'}, submit), error);
  const sync = () => {
    const rejected = radios[2][1].checked;
    effects.disabled = rejected;
    odds.disabled = rejected;
  };
  for (const [, input] of radios) input.addEventListener('change', sync);

  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    if (!form.reportValidity()) return;
    const ruling = radios.find(([, input]) => input.checked)?.[0];
    if (!ruling) {
      showError(error, {message: 'Choose a ruling: approve, modify or reject.'});
      return;
    }
    const fields = {move: move.move, ruling, outcome: outcome.input.value.trim(), tell: checkedIn(tell)};
    if (ruling === 'modified' && !fields.outcome) {
      showError(error, {message: 'Say how the move is modified, in the outcome.'});
      return;
    }
    if (ruling !== 'rejected') {
      if (odds.value.trim() !== '') fields.odds = Number(odds.value);
      const changes = indicatorInputs.filter(([, input]) => num(input)).map(([ind, input]) => ({indicator: ind.id, delta: num(input)}));
      const t = num(trust);
      const r = num(readiness);
      const who = checkedIn(between);
      if (changes.length || t || r) {
        if (!reason.value.trim()) {
          showError(error, {message: 'Give a reason for the effects: it is shown with the changes.'});
          return;
        }
        if ((t || r) && !who.length) {
          showError(error, {message: `Choose whose trust and readiness with ${mover} change.`});
          return;
        }
        Object.assign(fields, {indicators: changes, trust: t, readiness: r, between: who, reason: reason.value.trim()});
      }
    }
    await sendCommand(conn, 'adjudicate_move', fields, {button: submit, errorEl: error});
  });
  return form;
}

function queueItem(move, ctx) {
  const {model} = ctx;
  const age = h('span', {class: 'move-age'});
  const form = rulingForm(move, ctx);
  const el = h('li', {class: 'move move--waiting', dataset: {move: move.move}},
    h('div', {class: 'move-head'},
      h('h3', {class: 'move-title'}, `Move #${move.move} · ${model.delegationName(move.by)}`),
      h('div', {class: 'badges'}, age)),
    h('p', {class: 'muted move-by'}, `Submitted by ${move.submitted_by || 'a member'}`),
    facts([['Action', move.action], ['Intended result', move.result], ['Reasons', move.reasons],
      ['Card', move.card ? cardText(move) : null]]),
    h('div', {class: 'move-rule'}, form));
  return {el, tick() { age.textContent = waitingFor(move, model); }};
}

function ruledList(moves, model) {
  if (!moves.length) return emptyNote('No move has been ruled on yet.');
  return h('ul', {class: 'move-list'}, ...moves.map((m) => h('li', {class: 'move', dataset: {move: m.move}},
    h('div', {class: 'move-head'},
      h('h3', {class: 'move-title'}, `Move #${m.move} · ${model.delegationName(m.by)}`),
      h('div', {class: 'badges'}, statusBadge(m), rollText(m) ? badge(rollText(m), m.succeeded ? 'ok' : 'danger') : null)),
    facts([['Action', m.action], ['Outcome', m.outcome], ['Card', m.card ? cardText(m) : null]]))));
}

/** The umpire's Adjudication tab. `waiting()` says how many moves wait (for the tab's badge). */
export function adjudicationPanel({model, conn}) {
  const queue = h('ol', {class: 'move-list move-queue'});
  const queueEmpty = emptyNote('No move is waiting. Delegations submit free moves, and adjudicated cards, from their Moves tab.');
  const ruled = h('div', {});
  const items = new Map();
  const el = h('div', {class: 'stack adjudication'},
    card('Waiting for a ruling', h('p', {class: 'hint'},
      'Oldest first. Only exercise control sees this queue; the mover and those you tell see the ruling.'), queueEmpty, queue),
    card('Ruled', ruled));

  function update() {
    const s = model.state;
    if (!s?.moves) return;
    const waiting = s.moves.filter((m) => m.status === 'waiting');
    const ids = new Set(waiting.map((m) => m.move));
    for (const [id, item] of items) {
      if (!ids.has(id)) {
        item.el.remove();
        items.delete(id);
      }
    }
    for (const m of waiting) {
      if (!items.has(m.move)) {
        const item = queueItem(m, {model, conn});
        items.set(m.move, item);
        queue.appendChild(item.el);
      }
      items.get(m.move).tick();
    }
    queueEmpty.hidden = waiting.length > 0;
    const done = s.moves.filter((m) => m.status !== 'waiting').slice().reverse();
    renderIfChanged(ruled, [done, s.delegations.map((d) => d.name)], () => ruledList(done, model));
    const ended = Boolean(s.exercise.ended);
    for (const control of queue.querySelectorAll('button, input, textarea')) if (ended) control.disabled = true;
  }
  model.on('state', update);
  setInterval(() => { for (const item of items.values()) item.tick(); }, 15000);
  return {el, waiting: () => (model.state?.moves || []).filter((m) => m.status === 'waiting').length};
}

// ---- a delegation: submit, and see its moves ----------------------------------------------------------

function moveFields({action = ''} = {}) {
  const actionField = textArea('What your delegation does', {rows: 3, value: action, required: true});
  const result = textArea('The result you intend', {rows: 2});
  const reasons = textArea('Why it should work (your reasons)', {rows: 2});
  return {fields: [actionField.el, result.el, reasons.el], action: actionField.input, result: result.input, reasons: reasons.input};
}

async function submitMove(conn, f, extra, {button, error}) {
  const action = f.action.value.trim();
  if (!action) {
    showError(error, {message: 'Say what your delegation does.'});
    return {ok: false};
  }
  return sendCommand(conn, 'submit_move', {action, result: f.result.value.trim(), reasons: f.reasons.value.trim(), ...extra},
    {button, errorEl: error});
}

/** "Submit for adjudication" for a card the deck marks as adjudicated (it takes the place of Play). */
export function cardMoveForm(c, model, conn) {
  const f = moveFields({action: c.title});
  const button = h('button', {type: 'submit', class: 'btn btn--primary', dataset: {key: `submit-${c.id}`},
                             'aria-label': `Submit for adjudication: ${c.title}`}, 'Submit for adjudication');
  const error = errorLine();
  const form = h('form', {class: 'play-form card-move-form', novalidate: true},
    h('p', {class: 'hint'}, `Exercise control rules on this card${c.adjudicated != null ? `, starting from ${c.adjudicated}% odds of success` : ''}. `,
      'It leaves your hand when you submit it; the ruling comes back in your Moves tab.'),
    ...f.fields, h('div', {class: 'form-actions'}, button), error);
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    if (form.reportValidity()) submitMove(conn, f, {card: c.id}, {button, error});
  });
  return form;
}

function myMovesList(moves, model) {
  const mine = model.state.you?.delegation;
  if (!moves.length) return emptyNote('No move yet. What you submit, and the rulings you are told of, appear here.');
  return h('ul', {class: 'move-list'}, ...moves.map((m) => {
    const own = m.by === mine;
    return h('li', {class: ['move', `move--${m.status}`], dataset: {move: m.move}},
      h('div', {class: 'move-head'},
        h('h3', {class: 'move-title'}, own ? `Move #${m.move}` : `Move #${m.move} by ${model.delegationName(m.by)}`),
        h('div', {class: 'badges'}, statusBadge(m), rollText(m) ? badge(rollText(m), m.succeeded ? 'ok' : 'danger') : null)),
      own && m.submitted_by ? h('p', {class: 'muted move-by'}, `Submitted by ${m.submitted_by}`) : null,
      facts([['Action', m.action], ['Intended result', m.result], ['Reasons', m.reasons],
        ['Card', m.card ? cardText(m) : null], ['Outcome', m.outcome]]),
      m.status === 'waiting' ? h('p', {class: 'hint'}, 'Exercise control has not ruled yet.') : null);
  }));
}

/** The delegation's Moves tab. */
export function movesPanel({model, conn}) {
  const f = moveFields();
  const button = h('button', {type: 'submit', class: 'btn btn--primary', dataset: {key: 'submit-move'}}, 'Submit move');
  const error = errorLine();
  const notice = h('p', {class: 'notice', hidden: true});
  const form = h('form', {class: 'move-form', novalidate: true},
    h('p', {class: 'hint'}, 'A free move: anything your delegation does that no card covers. Exercise control rules on it, '
      + 'perhaps with a roll of the dice. Only your delegation, and those exercise control chooses to tell, learn the ruling.'),
    notice, ...f.fields, h('div', {class: 'form-actions'}, button), error);
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    if (!form.reportValidity()) return;
    const ack = await submitMove(conn, f, {}, {button, error});
    if (ack.ok) {
      for (const input of [f.action, f.result, f.reasons]) {
        input.value = '';
        input.dispatchEvent(new Event('input'));
      }
    }
  });
  const list = h('div', {});
  const el = h('div', {class: 'grid-2 moves-tab'}, card('Submit a free move', form), card('Your moves and rulings', list));

  model.on('state', () => {
    const s = model.state;
    const ex = s.exercise;
    const closed = !ex.phase || ex.ended;
    notice.hidden = !closed;
    notice.textContent = ex.ended ? 'The exercise has ended: no more moves.' : 'Moves can be submitted once the umpire starts the first phase.';
    for (const control of form.querySelectorAll('textarea, button')) control.disabled = closed;
    const moves = (s.moves || []).slice().reverse();
    renderIfChanged(list, [moves, s.delegations.map((d) => d.name)], () => myMovesList(moves, model));
  });
  return {el};
}
