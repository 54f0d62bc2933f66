// The event list (MSEL) on the umpire console: every planned event in order, with its planned time (a
// phase and a minute of *played* time), audience, delivery and status; what is due now and what comes
// next; and the controls to fire, fire an edited copy, delay, skip, reorder, edit, add and import rows
// (docs/protocol.md, "Exercise control: the event list"). Rows are kept element by element (keyed on
// the row's id), so a form being typed in survives every update of the state.

import {h, renderIfChanged, uid} from '../lib/dom.js';
import {fetchFile, readError, saveFile} from '../lib/download.js';
import {parseTime} from '../lib/clock.js';
import {describeEffects} from '../lib/format.js';
import {badge, card, confirmButton, errorLine, roomLeft, sendCommand, showError} from './ui.js';

const KINDS = ['historical', 'hypothetical', 'intelligence', 'contingency', 'ad hoc'];
const DELIVERIES = [
  ['banner', 'Banner on players’ consoles'],
  ['news', 'News list only'],
  ['message', 'Message in their channel'],
];
const DELIVERY_WORDS = {banner: 'banner', news: 'news only', message: 'as a message'};
const FILTERS = [
  ['all', 'All'],
  ['phase', 'This phase'],
  ['due', 'Due'],
  ['fired', 'Fired'],
  ['skipped', 'Skipped'],
];

// ---- time and status --------------------------------------------------------------------------------

/** Minutes of play in the current phase now: the clock's played seconds, plus the time since it started. */
export function playedMinutes(model) {
  const ex = model.state.exercise;
  if (!ex.phase) return 0;
  const clock = ex.clock;
  let seconds = clock.played || 0;
  if (clock.running && clock.at) {
    const at = parseTime(clock.at);
    if (!Number.isNaN(at)) seconds += Math.max(0, (model.clock.now() - at) / 1000);
  }
  return seconds / 60;
}

const scheduled = (row) => row.phase != null || row.minute != null;

/** Due: flagged by the server (ask-me mode), or pending, planned for this phase (or any) and its minute played. */
export function isDue(row, model, played = playedMinutes(model)) {
  if (row.status !== 'pending') return false;
  if (row.due) return true;
  const ex = model.state.exercise;
  if (ex.ended || !ex.phase || !scheduled(row)) return false;
  if (row.phase != null && row.phase !== ex.phase.id) return false;
  return played >= (row.minute ?? 0);
}

function phaseName(model, id) {
  return model.state.exercise.phases.find((p) => p.id === id)?.name || id;
}

/** "Talks +10", "Any phase +05", or "unscheduled". */
export function plannedTime(row, model) {
  if (!scheduled(row)) return 'unscheduled';
  const phase = row.phase == null ? 'Any phase' : phaseName(model, row.phase);
  return `${phase} +${String(row.minute ?? 0).padStart(2, '0')}`;
}

function audienceText(audience, model) {
  if (audience === 'all') return 'everyone';
  if (audience === 'umpire') return 'exercise control';
  return audience.map((d) => model.delegationName(d)).join(', ');
}

function sameSet(a, b) {
  return a.length === b.length && a.every((x) => b.includes(x));
}

function statusBadges(row, due) {
  const out = [];
  if (row.status === 'fired') {
    out.push(badge(row.late ? `fired ✓ (late ${row.late} min)` : 'fired ✓', 'ok'));
  } else if (row.status === 'skipped') {
    out.push(badge('skipped', 'skipped'));
  } else if (due) {
    out.push(badge('due now', 'warn'));
  } else {
    out.push(badge('pending', 'pending'));
  }
  return out;
}

function firedToBadge(row, model) {
  if (row.status !== 'fired' || !row.fired_to) return null;
  if (Array.isArray(row.audience) && sameSet(row.audience, row.fired_to)) return null;
  return badge(`fired to ${row.fired_to.map((d) => model.delegationName(d)).join(', ')}`, 'private');
}

/** A pending row planned for a phase that is over: the schedule will not fire it any more. */
function passedBadge(row, model) {
  if (row.status !== 'pending' || row.phase == null) return null;
  const ex = model.state.exercise;
  const at = ex.phases.findIndex((p) => p.id === row.phase);
  const now = ex.ended ? ex.phases.length : (ex.phase ? ex.phase.index : -1);
  return at >= 0 && at < now ? badge('not fired: its phase is over', 'warn') : null;
}

/** "Next: #4 Missiles hit Odesa in 3 min", and what is due now. */
function nextSummary(rows, model, played) {
  const ex = model.state.exercise;
  if (ex.ended) {
    return [h('span', {}, h('strong', {}, 'The exercise has ended. '), 'The event list can no longer be changed; export it for the debrief.')];
  }
  const due = rows.filter((r) => isDue(r, model, played));
  const parts = [];
  if (due.length) {
    parts.push(h('span', {class: 'el-due-now'}, h('strong', {}, 'Due now: '),
      `#${due[0].number} ${due[0].title}`, due.length > 1 ? ` and ${due.length - 1} more` : ''));
  }
  const index = ex.phase ? ex.phase.index : -1;
  const order = (r) => (r.phase == null ? Math.max(index, 0) : ex.phases.findIndex((p) => p.id === r.phase));
  const upcoming = rows.filter((r) => r.status === 'pending' && scheduled(r) && !isDue(r, model, played))
    .filter((r) => {
      const at = order(r);
      return at > index || (at === index && (r.minute ?? 0) > played) || (!ex.phase && at === 0);
    })
    .sort((a, b) => order(a) - order(b) || (a.minute ?? 0) - (b.minute ?? 0) || a.number - b.number);
  const next = upcoming[0];
  if (next) {
    let when;
    if (ex.phase && order(next) === index) {
      const left = (next.minute ?? 0) - played;
      when = left < 1 ? 'in under a minute' : `in ${Math.ceil(left)} min`;
      if (!ex.clock.running) when += ' of play (clock paused)';
    } else {
      when = `at ${plannedTime(next, model)}${ex.phase ? '' : ', once you start'}`;
    }
    parts.push(h('span', {class: 'el-next-one'}, h('strong', {}, 'Next: '), `#${next.number} ${next.title} ${when}`));
  } else if (!due.length) {
    parts.push(h('span', {}, 'Nothing else is scheduled. Unscheduled rows wait for you to fire them.'));
  }
  return parts;
}

// ---- a row written by the umpire (add, edit) --------------------------------------------------------

function textField(label, control, {hint} = {}) {
  const id = control.id || (control.id = uid('el-f'));
  const hintEl = hint ? h('small', {class: 'hint', id: `${id}-hint`}, hint) : null;
  if (hintEl) control.setAttribute('aria-describedby', hintEl.id);
  return h('div', {class: 'field'}, h('label', {for: id}, label), control, control.dataset.limit ? roomLeft(control) : null, hintEl);
}

function numberInput(attrs = {}) {
  return h('input', {type: 'number', step: '1', class: 'input-narrow', id: uid('el-n'), ...attrs});
}

function delegationBoxes(model, checkedIds = [], {exclude = []} = {}) {
  return model.state.delegations.filter((d) => !exclude.includes(d.id)).map((d) => h('label', {class: 'check'},
    h('input', {type: 'checkbox', value: d.id, checked: checkedIds.includes(d.id)}), ' ', d.name));
}

function checkedValues(container) {
  return [...container.querySelectorAll('input[type=checkbox]:checked')].map((i) => i.value);
}

function intOr(input, fallback = 0) {
  const v = input.value.trim();
  return v === '' ? fallback : Number(v);
}

/**
 * The form for a whole row (every field `add_inject` and `edit_inject` take), prefilled from `row`.
 * `onSubmit(wireRow, submitButton, errorEl)` sends it.
 */
function rowForm(model, row, {submitLabel, onSubmit, onCancel}) {
  const r = row || {title: '', text: '', kind: 'contingency', sender: '', audience: 'all', delivery: 'banner',
                    phase: null, minute: null, effects: {indicators: {}, trust: 0, readiness: 0},
                    expected_action: '', controller_note: '', scenario_date: '', historical: false};
  const title = h('input', {type: 'text', 'data-limit': '120', required: true, value: r.title});
  const text = h('textarea', {rows: '3', 'data-limit': '2000', required: true});
  text.value = r.text;
  const kind = h('select', {id: uid('el-kind')}, ...KINDS.map((k) => h('option', {value: k, selected: r.kind === k}, k)));
  const delivery = h('select', {id: uid('el-delivery')},
    ...DELIVERIES.map(([v, label]) => h('option', {value: v, selected: r.delivery === v}, label)));
  const sender = h('input', {type: 'text', 'data-limit': '120', value: r.sender, placeholder: 'e.g. Reuters, UN OCHA'});

  const audName = uid('el-aud');
  const audience = Array.isArray(r.audience) ? 'delegations' : r.audience;
  const radios = [['all', 'Everyone'], ['umpire', 'Exercise control only'], ['delegations', 'Chosen delegations']]
    .map(([v, label]) => [v, h('input', {type: 'radio', name: audName, value: v, checked: audience === v}), label]);
  const boxes = h('div', {class: 'checks'}, ...delegationBoxes(model, Array.isArray(r.audience) ? r.audience : []));
  const who = h('fieldset', {class: 'recipients'}, h('legend', {}, 'Which delegations'), boxes);
  const syncWho = () => { who.hidden = !radios[2][1].checked; };
  for (const [, input] of radios) input.addEventListener('change', syncWho);
  syncWho();

  const phase = h('select', {id: uid('el-phase')}, h('option', {value: '', selected: r.phase == null}, 'Any phase'),
    ...model.state.exercise.phases.map((p) => h('option', {value: p.id, selected: r.phase === p.id}, p.name)));
  const minute = numberInput({min: '0', max: '600', value: r.minute ?? ''});

  const indicatorInputs = model.state.indicators.map((ind) => [ind, numberInput({min: '-1000', max: '1000',
    value: r.effects?.indicators?.[ind.id] ?? ''})]);
  const trust = numberInput({min: '-100', max: '100', value: r.effects?.trust || ''});
  const readiness = numberInput({min: '-10', max: '10', value: r.effects?.readiness || ''});

  const expected = h('textarea', {rows: '2', 'data-limit': '2000'});
  expected.value = r.expected_action;
  const note = h('textarea', {rows: '2', 'data-limit': '2000'});
  note.value = r.controller_note;
  const date = h('input', {type: 'text', 'data-limit': '40', value: r.scenario_date, placeholder: 'e.g. 22 July 2022'});
  const historical = h('input', {type: 'checkbox', id: uid('el-hist'), checked: r.historical});

  const submit = h('button', {type: 'submit', class: 'btn btn--primary'}, submitLabel);
  const cancel = onCancel ? h('button', {type: 'button', class: 'btn btn--ghost'}, 'Cancel') : null;
  cancel?.addEventListener('click', onCancel);
  const error = errorLine();

  const form = h('form', {class: 'el-row-form', novalidate: true},
    textField('Title', title),
    textField('Text', text),
    h('div', {class: 'el-form-grid'},
      textField('Kind', kind),
      textField('Delivery', delivery),
      textField('From (sender)', sender)),
    h('fieldset', {class: 'radios'}, h('legend', {}, 'Audience'),
      ...radios.map(([, input, label]) => h('label', {class: 'check'}, input, ` ${label}`))),
    who,
    h('fieldset', {}, h('legend', {}, 'Planned time'),
      h('div', {class: 'el-form-grid'}, textField('Phase', phase),
        textField('Minute of play', minute, {hint: 'Played time: pauses do not count. Leave phase and minute empty for an unscheduled row.'}))),
    h('fieldset', {}, h('legend', {}, 'Effects when fired'),
      h('div', {class: 'el-effects'},
        ...indicatorInputs.map(([ind, input]) => h('label', {class: 'el-effect', for: input.id}, h('span', {}, `Change to ${ind.name}`), input)),
        h('label', {class: 'el-effect', for: trust.id}, h('span', {}, 'Trust change'), trust),
        h('label', {class: 'el-effect', for: readiness.id}, h('span', {}, 'Readiness change'), readiness)),
      h('small', {class: 'hint'}, 'Trust and readiness change between the delegations it is fired to.')),
    textField('Expected player action', expected),
    textField('Controller note', note, {hint: 'Controllers only: never shown to players or observers.'}),
    h('div', {class: 'el-form-grid'},
      textField('Scenario date', date),
      h('div', {class: 'field el-check-field'}, h('label', {class: 'check', for: historical.id}, historical, ' Historical (this really happened)'))),
    h('div', {class: 'form-actions'}, submit, cancel),
    error);

  form.addEventListener('submit', (e) => {
    e.preventDefault();
    if (!form.reportValidity()) return;
    const chosen = radios.find(([, input]) => input.checked)?.[0] || 'all';
    const wire = {
      title: title.value.trim(), text: text.value.trim(), kind: kind.value, sender: sender.value.trim(),
      audience: chosen, delivery: delivery.value, phase: phase.value || null,
      minute: minute.value.trim() === '' ? null : Number(minute.value),
      indicators: indicatorInputs.filter(([, input]) => intOr(input)).map(([ind, input]) => ({indicator: ind.id, delta: intOr(input)})),
      trust: intOr(trust), readiness: intOr(readiness),
      expected_action: expected.value.trim(), controller_note: note.value.trim(), scenario_date: date.value.trim(),
      historical: historical.checked,
    };
    if (!wire.title || !wire.text) {
      showError(error, {message: 'A row needs a title and a text.'});
      return;
    }
    if (chosen === 'delegations') {
      wire.to = checkedValues(boxes);
      if (!wire.to.length) {
        showError(error, {message: 'Choose at least one delegation, or another audience.'});
        return;
      }
    }
    onSubmit(wire, submit, error);
  });
  form.reset = () => {
    for (const field of [title, text, sender, expected, note, date]) {
      field.value = '';
      field.dispatchEvent(new Event('input'));  // the room-left counters
    }
    minute.value = '';
    for (const [, input] of indicatorInputs) input.value = '';
    trust.value = '';
    readiness.value = '';
    historical.checked = false;
  };
  return form;
}

// ---- fire an edited copy ------------------------------------------------------------------------------

function firedCopyForm(model, conn, row, {onDone}) {
  const title = h('input', {type: 'text', 'data-limit': '120', required: true, value: row.title});
  const text = h('textarea', {rows: '4', 'data-limit': '2000', required: true});
  text.value = row.text;
  const all = model.state.delegations.map((d) => d.id);
  const own = row.audience === 'all' ? all : row.audience === 'umpire' ? [] : row.audience;
  const boxes = h('div', {class: 'checks'}, ...delegationBoxes(model, own));
  const submit = h('button', {type: 'submit', class: 'btn btn--primary', 'aria-label': `Fire edited copy of #${row.number}`}, 'Fire edited copy');
  const cancel = h('button', {type: 'button', class: 'btn btn--ghost'}, 'Cancel');
  cancel.addEventListener('click', onDone);
  const error = errorLine();
  const form = h('form', {class: 'el-row-form', novalidate: true},
    h('p', {class: 'hint'}, 'Fires this text once; the row itself keeps its own text.'),
    textField('Title', title), textField('Text', text),
    h('fieldset', {}, h('legend', {}, 'Fire to'), boxes,
      row.audience === 'umpire' ? h('small', {class: 'hint'}, 'None ticked: exercise control only, as planned.') : null),
    h('div', {class: 'form-actions'}, submit, cancel), error);
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    if (!form.reportValidity()) return;
    const to = checkedValues(boxes);
    const fields = {inject: row.id, title: title.value.trim(), text: text.value.trim()};
    const asPlanned = row.audience === 'umpire' ? !to.length : sameSet(to, own);
    if (!asPlanned) {
      if (!to.length) {
        showError(error, {message: 'Choose at least one delegation.'});
        return;
      }
      fields.to = to;
    }
    const ack = await sendCommand(conn, 'fire_inject', fields, {button: submit, errorEl: error});
    if (ack.ok) onDone();
  });
  return form;
}

function delayForm(conn, row, {onDone}) {
  const minutes = numberInput({min: '-600', max: '600', value: '10', required: true});
  const submit = h('button', {type: 'submit', class: 'btn btn--primary'}, 'Delay');
  const cancel = h('button', {type: 'button', class: 'btn btn--ghost'}, 'Cancel');
  cancel.addEventListener('click', onDone);
  const error = errorLine();
  const form = h('form', {class: 'inline-form', novalidate: true},
    h('label', {for: minutes.id}, `Delay #${row.number} by (minutes)`), minutes, submit, cancel,
    h('small', {class: 'hint'}, 'A negative number brings it forward.'), error);
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    const n = Number(minutes.value);
    if (!Number.isInteger(n) || !n) {
      showError(error, {message: 'Give a whole number of minutes other than 0.'});
      return;
    }
    const ack = await sendCommand(conn, 'delay_inject', {inject: row.id, minutes: n}, {button: submit, errorEl: error});
    if (ack.ok) onDone();
  });
  return form;
}

// ---- one row -----------------------------------------------------------------------------------------

function infoList(row, model) {
  const items = [['Text', h('span', {class: 'el-text', dir: 'auto'}, row.text)]];
  items.push(['Audience', `${audienceText(row.audience, model)}; ${DELIVERY_WORDS[row.delivery] || row.delivery}`]);
  if (row.expected_action) items.push(['Expected player action', h('span', {class: 'el-text', dir: 'auto'}, row.expected_action)]);
  if (row.controller_note) {
    items.push([h('span', {}, 'Controller note ', badge('controllers only', 'private')),
      h('span', {class: 'el-text el-note', dir: 'auto'}, row.controller_note)]);
  }
  if (row.scenario_date) items.push(['Scenario date', row.scenario_date]);
  items.push(['Historical?', row.historical ? 'Historical: this happened' : 'Hypothetical']);
  const effects = describeEffects(row.effects, model);
  items.push(['Effects', effects || 'none']);
  if (row.sources?.length) items.push(['Sources', row.sources.join(', ')]);
  return h('dl', {class: 'facts'}, ...items.flatMap(([k, v]) => [h('dt', {}, k), h('dd', {}, v)]));
}

function rowItem(id, {model, conn}) {
  const head = h('div', {class: 'el-row-head'});
  const actions = h('div', {class: 'el-row-actions'});
  const error = errorLine();
  const info = h('div', {class: 'el-info'});
  const tools = h('div', {class: 'form-actions el-row-tools'});
  const slot = h('div', {class: 'el-form-slot'});
  const details = h('details', {class: 'inject-more'}, h('summary', {}, 'Details and more actions'), info, tools, slot);
  const el = h('li', {class: 'inject-row', dataset: {inject: id}},
    h('div', {class: 'inject-row-main'}, head, actions), details, error);
  let row = null;
  let open = null;  // the form open in the slot: 'copy', 'edit' or 'delay'

  function closeForm() {
    open = null;
    slot.replaceChildren();
    renderTools();
  }

  function openForm(kind) {
    open = kind;
    details.open = true;
    let form;
    if (kind === 'copy') form = firedCopyForm(model, conn, row, {onDone: closeForm});
    else if (kind === 'delay') form = delayForm(conn, row, {onDone: closeForm});
    else {
      form = rowForm(model, row, {submitLabel: `Save #${row.number}`, onCancel: closeForm,
        onSubmit: async (wire, button, errorEl) => {
          const ack = await sendCommand(conn, 'edit_inject', {inject: row.id, row: wire}, {button, errorEl});
          if (ack.ok) closeForm();
        }});
    }
    slot.replaceChildren(h('div', {class: 'el-form-box'}, h('h3', {}, {copy: 'Fire an edited copy', delay: 'Delay', edit: `Edit #${row.number}`}[kind]), form));
    renderTools();
    form.querySelector('input, textarea, select')?.focus();
  }

  function button(label, key, aria, onClick, cls = 'btn btn--small') {
    const b = h('button', {type: 'button', class: cls, dataset: {key: `${key}-${id}`}, 'aria-label': aria}, label);
    b.addEventListener('click', () => onClick(b));
    return b;
  }

  let last = {};
  function renderTools() {
    const {ended} = last;
    renderIfChanged(tools, [row.status, scheduled(row), ended, open], () => {
      if (ended) return null;
      const out = [];
      if (open !== 'copy') out.push(button('Fire an edited copy', 'copy', `Fire an edited copy of #${row.number}`, () => openForm('copy')));
      if (row.status === 'pending' && open !== 'edit') out.push(button('Edit', 'edit', `Edit #${row.number}`, () => openForm('edit')));
      if (row.status === 'pending' && scheduled(row) && open !== 'delay') {
        out.push(button('Delay by…', 'delayby', `Delay by some minutes: #${row.number}`, () => openForm('delay')));
      }
      return out;
    });
  }

  function update(r, {due, ended, prev, after, isLast}) {
    row = r;
    last = {ended};
    el.dataset.number = String(r.number);
    el.classList.toggle('is-fired', r.status === 'fired');
    el.classList.toggle('is-skipped', r.status === 'skipped');
    el.classList.toggle('is-due', due);
    renderIfChanged(head, [r.number, r.title, r.phase, r.minute, r.audience, r.delivery, r.kind, r.sender, r.status,
      r.late, r.fired_to, due, model.state.exercise.phase?.index, model.state.delegations.map((d) => d.name)], () => [
      h('span', {class: 'el-num num'}, `#${r.number}`),
      h('div', {class: 'el-row-body'},
        h('p', {class: 'inject-row-title'},
          h('span', {class: ['el-time', !scheduled(r) && 'is-unscheduled']}, plannedTime(r, model)), ' ',
          h('strong', {dir: 'auto'}, r.title)),
        h('p', {class: 'el-meta'},
          h('span', {class: 'badges'}, ...statusBadges(r, due), firedToBadge(r, model), passedBadge(r, model)), ' ',
          h('span', {}, `to ${audienceText(r.audience, model)}`), ' · ', h('span', {}, DELIVERY_WORDS[r.delivery] || r.delivery),
          ' · ', h('span', {}, r.kind), r.sender ? [' · ', h('span', {dir: 'auto'}, `from ${r.sender}`)] : null))]);
    renderIfChanged(actions, [r.status, r.title, r.number, scheduled(r), ended, prev?.id, after?.id, isLast], () => {
      if (ended) return null;
      const out = [];
      if (r.status !== 'skipped') {
        out.push(button(r.status === 'fired' ? 'Fire again' : 'Fire', 'fire',
          r.status === 'fired' ? `Fire again: ${r.title}` : `Fire inject: ${r.title}`,
          (b) => sendCommand(conn, 'fire_inject', {inject: r.id}, {button: b, errorEl: error}),
          r.status === 'fired' ? 'btn btn--small' : 'btn btn--small btn--primary'));
      }
      if (r.status === 'pending') {
        if (scheduled(r)) {
          out.push(button('+5 min', 'delay5', `+5 min: delay #${r.number}`,
            (b) => sendCommand(conn, 'delay_inject', {inject: r.id, minutes: 5}, {button: b, errorEl: error})));
        }
        out.push(button('Skip', 'skip', `Skip #${r.number}: ${r.title}`,
          (b) => sendCommand(conn, 'skip_inject', {inject: r.id, skipped: true}, {button: b, errorEl: error})));
        const up = button('↑', 'up', `Move #${r.number} up`,
          (b) => sendCommand(conn, 'move_inject', {inject: r.id, before: prev.id}, {button: b, errorEl: error}), 'btn btn--small el-move');
        up.disabled = !prev;
        const down = button('↓', 'down', `Move #${r.number} down`,
          (b) => sendCommand(conn, 'move_inject', {inject: r.id, before: after?.id ?? null}, {button: b, errorEl: error}), 'btn btn--small el-move');
        down.disabled = isLast;
        out.push(h('span', {class: 'el-moves'}, up, down));
      } else if (r.status === 'skipped') {
        out.push(button('Put back', 'unskip', `Put back #${r.number}: ${r.title}`,
          (b) => sendCommand(conn, 'skip_inject', {inject: r.id, skipped: false}, {button: b, errorEl: error})));
      }
      return out;
    });
    renderIfChanged(info, [r.text, r.audience, r.delivery, r.expected_action, r.controller_note, r.scenario_date,
      r.historical, r.effects, r.sources], () => infoList(r, model));
    if ((open === 'edit' || open === 'delay') && r.status !== 'pending') closeForm();
    if (ended && open) closeForm();
    renderTools();
  }

  return {el, update, matches: (filter, due, model_) => {
    if (filter === 'all') return true;
    if (filter === 'due') return due;
    if (filter === 'fired') return row.status === 'fired';
    if (filter === 'skipped') return row.status === 'skipped';
    const phase = model_.state.exercise.phase;
    return scheduled(row) && (row.phase === (phase?.id ?? model_.state.exercise.phases[0]?.id) || row.phase == null);
  }};
}

// ---- CSV -----------------------------------------------------------------------------------------------

function csvUrl(model) {
  return `/api/exercises/${encodeURIComponent(model.exerciseId)}/event-list.csv`;
}


function csvTools(model) {
  const error = errorLine();
  const result = h('div', {class: 'el-import-result', 'aria-live': 'polite'});
  const exportButton = h('button', {type: 'button', class: 'btn btn--small'}, 'Export CSV');
  exportButton.addEventListener('click', async () => {
    showError(error, null);
    exportButton.disabled = true;
    try {
      const {blob, filename} = await fetchFile(csvUrl(model), model.token, 'event-list.csv');
      saveFile(blob, filename);
    } catch (err) {
      showError(error, {message: err?.message || 'The export failed: the server cannot be reached.'});
    } finally {
      exportButton.disabled = false;
    }
  });

  const file = h('input', {type: 'file', id: uid('el-import'), accept: '.csv,text/csv', class: 'el-file'});
  const importSlot = h('span', {class: 'el-import-go'});
  let chosen = null;
  file.addEventListener('change', () => {
    chosen = file.files[0] || null;
    result.replaceChildren();
    showError(error, null);
    importSlot.replaceChildren(chosen ? confirmButton(`Import ${chosen.name}`, 'Confirm: replace the pending rows',
      (button) => upload(button), {className: 'btn btn--small btn--primary', key: 'import-csv'}) : '');
  });

  async function upload(button) {
    if (!chosen) return;
    button.disabled = true;
    result.replaceChildren();
    showError(error, null);
    try {
      // The file's bytes as they are: the server checks they are UTF-8 (text() would turn an Excel "CSV" in
      // Windows-1252 into replacement characters, and import them).
      const body = await chosen.arrayBuffer();
      const response = await fetch(csvUrl(model), {method: 'POST', body, cache: 'no-store',
        headers: {Authorization: `Bearer ${model.token}`, 'Content-Type': 'text/csv', Accept: 'application/json'}});
      if (!response.ok) {
        const err = await readError(response);
        const rows = Array.isArray(err.rows) ? err.rows : [];
        result.replaceChildren(h('div', {class: 'el-import-errors', role: 'alert'},
          h('p', {}, h('strong', {}, 'Nothing was imported. '), rows.length
            ? `${rows.length} ${rows.length === 1 ? 'problem' : 'problems'} in ${chosen.name}; fix them and import it again:`
            : err.message || ''),
          rows.length ? h('ul', {}, ...rows.map((p) => h('li', {},
            h('strong', {}, `Line ${p.line}`), p.column ? `, column “${p.column}”` : '', `: ${p.message}`))) : null));
        return;
      }
      const data = await response.json().catch(() => ({}));
      const n = data?.imported;
      result.replaceChildren(h('p', {class: 'el-import-ok'},
        `Imported ${n ?? ''} ${n === 1 ? 'row' : 'rows'} from ${chosen.name}. Rows already fired or skipped are unchanged.`));
      file.value = '';
      chosen = null;
      importSlot.replaceChildren();
    } catch {
      showError(error, {message: 'The import failed: the server cannot be reached.'});
    } finally {
      button.disabled = false;
    }
  }

  const el = h('div', {class: 'el-csv'},
    exportButton,
    h('span', {class: 'el-import'}, h('label', {for: file.id}, 'Import CSV'), file, importSlot),
    h('small', {class: 'hint'}, 'An import replaces every row not yet fired or skipped.'),
    error, result);
  return {el, setEnded(ended) { file.disabled = ended; for (const b of importSlot.querySelectorAll('button')) b.disabled = ended; }};
}

// ---- the whole list ----------------------------------------------------------------------------------

export function eventListCard({model, conn}) {
  const summary = h('p', {class: 'el-next'});
  const items = new Map();
  const list = h('ol', {class: 'inject-rows el-rows'});
  const empty = h('p', {class: 'empty', hidden: true});
  const error = errorLine();

  // Fire due injects: automatically / ask me.
  const firingName = uid('el-firing');
  const auto = h('input', {type: 'radio', name: firingName, value: 'auto'});
  const ask = h('input', {type: 'radio', name: firingName, value: 'ask'});
  const firing = h('fieldset', {class: 'el-switch'}, h('legend', {}, 'Fire due injects'),
    h('label', {class: 'check'}, auto, ' automatically'), h('label', {class: 'check'}, ask, ' ask me'));
  let firingBusy = false;
  for (const input of [auto, ask]) {
    input.addEventListener('change', async () => {
      firingBusy = true;
      const ack = await sendCommand(conn, 'set_firing', {automatic: auto.checked}, {button: input, errorEl: error});
      firingBusy = false;
      if (!ack.ok) update();
    });
  }

  // Filters.
  const filterName = uid('el-filter');
  let filter = 'all';
  const filterInputs = FILTERS.map(([value, label]) => {
    const input = h('input', {type: 'radio', name: filterName, value, checked: value === filter, class: 'el-pill-input'});
    const count = h('span', {class: 'el-count num'});
    input.addEventListener('change', () => {
      filter = value;
      update();
    });
    return {value, input, count, el: h('label', {class: 'el-pill'}, input, ` ${label} `, count)};
  });
  const filters = h('fieldset', {class: 'el-filters'}, h('legend', {class: 'sr-only'}, 'Show rows'),
    h('span', {class: 'el-filters-label', 'aria-hidden': 'true'}, 'Show:'), ...filterInputs.map((f) => f.el));

  const csv = csvTools(model);
  const addSlot = h('div', {});
  const addDetails = h('details', {class: 'el-add'}, h('summary', {}, 'Add a row'), addSlot);
  let addForm = null;

  const el = card('Event list',
    h('div', {class: 'el-top'}, summary, firing),
    h('div', {class: 'el-bar'}, filters, csv.el),
    error, list, empty, addDetails);
  el.id = 'event-list';

  let orderSig = '';
  function update() {
    const s = model.state;
    if (!s?.event_list) return;
    const rows = s.event_list;
    const ex = s.exercise;
    const ended = Boolean(ex.ended);
    const played = playedMinutes(model);
    const parts = nextSummary(rows, model, played);
    renderIfChanged(summary, parts.map((n) => n.textContent), () => parts);

    if (!firingBusy) {
      auto.checked = Boolean(s.firing?.automatic);
      ask.checked = !s.firing?.automatic;
    }
    auto.disabled = ask.disabled = ended;

    const ids = new Set(rows.map((r) => r.id));
    for (const [id, item] of items) {
      if (!ids.has(id)) {
        item.el.remove();
        items.delete(id);
      }
    }
    const dueIds = new Set();
    rows.forEach((r, i) => {
      let item = items.get(r.id);
      if (!item) {
        item = rowItem(r.id, {model, conn});
        items.set(r.id, item);
      }
      const due = isDue(r, model, played);
      if (due) dueIds.add(r.id);
      item.update(r, {due, ended, prev: rows[i - 1], after: rows[i + 2], isLast: i === rows.length - 1});
    });
    const sig = rows.map((r) => r.id).join('\n');
    if (sig !== orderSig) {
      orderSig = sig;
      const active = document.activeElement;
      rows.forEach((r, i) => {
        const node = items.get(r.id).el;
        if (list.children[i] !== node) list.insertBefore(node, list.children[i] || null);
      });
      if (active && active !== document.activeElement && document.contains(active)) active.focus({preventScroll: false});
    }

    const counts = {all: rows.length, phase: 0, due: dueIds.size, fired: 0, skipped: 0};
    let shown = 0;
    for (const r of rows) {
      const item = items.get(r.id);
      if (item.matches('phase', false, model)) counts.phase += 1;
      if (r.status === 'fired') counts.fired += 1;
      if (r.status === 'skipped') counts.skipped += 1;
      const visible = item.matches(filter, dueIds.has(r.id), model);
      item.el.hidden = !visible;
      if (visible) shown += 1;
    }
    for (const f of filterInputs) f.count.textContent = `(${counts[f.value]})`;
    empty.hidden = shown > 0;
    empty.textContent = rows.length ? 'No row matches this filter.' : 'The event list is empty: add a row or import a CSV file.';

    if (!addForm) {
      addForm = rowForm(model, null, {submitLabel: 'Add to the event list', onSubmit: async (wire, button, errorEl) => {
        const ack = await sendCommand(conn, 'add_inject', {inject: wire}, {button, errorEl});
        if (ack.ok) addForm.reset();
      }});
      addSlot.replaceChildren(h('p', {class: 'hint'}, 'The new row goes to the end of the list, with the next free number.'), addForm);
    }
    for (const control of addForm.querySelectorAll('input, select, textarea, button')) control.disabled = ended;
    csv.setEnded(ended);
    return dueIds.size;
  }

  setInterval(() => model.state && update(), 5000);  // "due now" and "next in 3 min" follow the clock
  return {el, update, dueCount: () => (model.state?.event_list || []).filter((r) => isDue(r, model)).length};
}
