// Exercise control: phases and clock, the event list (event-list.js) and ad hoc injects, indicators and
// relations, private beliefs, polls and secret cards, cease-fire risk, presence, debrief.

import {h, renderIfChanged, uid} from '../lib/dom.js';
import {storage} from '../lib/store.js';
import {beliefItem, beliefWho, indicatorBar, pollsView} from './situation.js';
import {delegationsList, secretCard, secretResults, secretsOf} from './brief.js';
import {eventListCard} from './event-list.js';
import {exportCard} from './export.js';
import {badge, card, confirmButton, copyButton, emptyNote, errorLine, roomLeft, sendCommand, showError} from './ui.js';
import {isChief, linksCard, peopleCard, staffCard} from './room.js';
import {debriefControl} from './debrief.js';
import {outageNotice} from './outage.js';
import {mapCard} from './map.js';

function delegationChecks(model, name) {
  return model.state.delegations.map((d) => h('label', {class: 'check'},
    h('input', {type: 'checkbox', name, value: d.id}), ' ', d.name));
}

function checked(container) {
  return [...container.querySelectorAll('input[type=checkbox]:checked')].map((i) => i.value);
}

// ---- phase and clock ---------------------------------------------------------------------------------

/**
 * Send a command decided on what this console shows, with the `seq` it shows (docs/protocol.md): the server
 * refuses it as `stale` only if what it depends on (the phase, the clock) moved since, so two umpire consoles
 * confirming "Next phase" at once open one phase, not two, while messages and people connecting meanwhile
 * change nothing. On `stale` the console waits for the update that moved the log on, then says so over it.
 */
async function sendOnView({model, conn}, type, fields, {button, errorEl}) {
  const ack = await sendCommand(conn, type, {...fields, seq: conn.lastSeq}, {button, errorEl, handled: ['stale']});
  if (!ack.ok && ack.error?.code === 'stale') {
    await model.caughtUp(ack.error.fields?.seq ?? 0);
    showError(errorEl, {message: `Someone else just did this. ${situation(model)}`});
  }
  return ack;
}

function situation(model) {
  const ex = model.state.exercise;
  if (ex.ended) return 'The exercise has ended.';
  if (!ex.phase) return 'The exercise has not started.';
  return `Now: ${ex.phase.name}, clock ${ex.clock.running ? 'running' : 'paused'}.`;
}


function phaseControls({model, conn}) {
  const body = h('div', {class: 'phase-controls'});
  const error = errorLine();
  const minutes = h('input', {type: 'number', id: 'extend-minutes', min: '-120', max: '120', step: '1', value: '5',
                             class: 'input-narrow', 'aria-describedby': 'extend-hint'});
  const extend = h('button', {type: 'submit', class: 'btn'}, 'Adjust clock');
  const extendForm = h('form', {class: 'inline-form'},
    h('label', {for: 'extend-minutes'}, 'Minutes to add'), minutes, extend,
    h('span', {class: 'hint', id: 'extend-hint'}, 'a negative number takes time off'));
  extendForm.addEventListener('submit', (e) => {
    e.preventDefault();
    if (!Number(minutes.value)) {
      showError(error, {message: 'Give a number of minutes other than 0 (negative takes time off).'});
      return;
    }
    sendOnView({model, conn}, 'extend_clock', {minutes: Number(minutes.value)},
      {button: extend, errorEl: error});
  });
  const el = h('div', {}, body, extendForm, error);

  function update() {
    const ex = model.state.exercise;
    const next = ex.phase ? ex.phases[ex.phase.index + 1] : ex.phases[0];
    extend.disabled = !ex.phase || ex.ended;
    renderIfChanged(body, [ex.phase?.index, ex.clock.running, ex.ended, isChief(model)], () => {
      if (ex.ended) return h('p', {class: 'notice'}, 'The exercise has ended. Lead the debrief from the Debrief card below.');
      const advanceLabel = !ex.phase ? `Start: ${next.name}` : next ? `Next phase: ${next.name}` : 'Finish the last phase';
      const advance = confirmButton(advanceLabel, next ? `Confirm: open ${next.name}` : 'Confirm: end the exercise',
        (button) => sendOnView({model, conn}, 'advance_phase', {}, {button, errorEl: error}),
        {className: 'btn btn--primary', key: 'advance'});
      const buttons = [advance];
      if (ex.phase) {
        const toggle = h('button', {type: 'button', class: 'btn', dataset: {key: 'pause'}}, ex.clock.running ? 'Pause clock' : 'Resume clock');
        toggle.addEventListener('click', () => sendOnView({model, conn}, ex.clock.running ? 'pause_clock' : 'resume_clock',
          {}, {button: toggle, errorEl: error}));
        buttons.push(toggle);
      }
      const end = confirmButton('End exercise', 'Confirm: end now', (button) =>
        sendOnView({model, conn}, 'end_exercise', {}, {button, errorEl: error}),
        {className: 'btn btn--danger', key: 'end'});
      end.disabled = !isChief(model);
      buttons.push(end);
      return [
        h('p', {}, ex.phase ? `Now: ${ex.phase.name} (phase ${ex.phase.index + 1} of ${ex.phases.length}).`
          : 'Briefing: tables are closed until you start the first phase.'),
        h('div', {class: 'form-actions'}, ...buttons),
        isChief(model) ? null : h('p', {class: 'hint'}, 'Only the umpire can end the exercise: you are an assistant.')];
    });
  }
  return {el, update};
}

// ---- injects ----------------------------------------------------------------------------------------

function adHocInject({model, conn}) {
  const title = h('input', {type: 'text', id: uid('adhoc-title'), 'data-limit': '120', required: true});
  const text = h('textarea', {id: uid('adhoc-text'), rows: '3', 'data-limit': '2000', required: true});
  const name = uid('adhoc-aud');
  const everyone = h('input', {type: 'radio', name, value: 'all', checked: true});
  const some = h('input', {type: 'radio', name, value: 'some'});
  const boxes = h('div', {class: 'checks'});
  const who = h('fieldset', {class: 'recipients', hidden: true}, h('legend', {}, 'Delegations'), boxes);
  const submit = h('button', {type: 'submit', class: 'btn btn--primary'}, 'Fire ad hoc inject');
  const error = errorLine();
  const form = h('form', {class: 'adhoc-form'},
    h('div', {class: 'field'}, h('label', {for: title.id}, 'Title'), title, roomLeft(title)),
    h('div', {class: 'field'}, h('label', {for: text.id}, 'Text'), text, roomLeft(text)),
    h('fieldset', {class: 'radios'}, h('legend', {}, 'Audience'),
      h('label', {class: 'check'}, everyone, ' Everyone'), h('label', {class: 'check'}, some, ' Chosen delegations')),
    who, submit, error);
  const sync = () => { who.hidden = !some.checked; };
  everyone.addEventListener('change', sync);
  some.addEventListener('change', sync);
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    const fields = {title: title.value.trim(), text: text.value.trim()};
    if (some.checked) {
      fields.to = checked(boxes);
      if (!fields.to.length) {
        showError(error, {message: 'Choose at least one delegation, or send it to everyone.'});
        return;
      }
    }
    const ack = await sendCommand(conn, 'fire_inject', fields, {button: submit, errorEl: error});
    if (ack.ok) {
      for (const field of [title, text]) {
        field.value = '';
        field.dispatchEvent(new Event('input'));  // the room-left counters
      }
    }
  });
  return {
    el: card('Ad hoc inject', h('p', {class: 'hint'}, 'Fired at once, and saved as a row of the event list.'), form),
    update() {
      renderIfChanged(boxes, model.state.delegations.map((d) => d.id), () => delegationChecks(model, `adhoc-to`));
      const ended = Boolean(model.state.exercise.ended);
      for (const control of form.querySelectorAll('input, textarea, button')) control.disabled = ended;
    },
  };
}

// ---- cease-fire ---------------------------------------------------------------------------------------

const pct = (p) => `${Math.round(p * 1000) / 10}%`;
const signedPct = (p) => `${p >= 0 ? '+' : '−'}${pct(Math.abs(p))}`;
const OVERRIDE_WORDS = {force: 'forced: it will happen', veto: 'vetoed: it will not happen'};

/** The risk table: per rule, how its next draw's odds are made up, and the umpire's say over that draw. */
function riskTable({model, conn}, risks, error) {
  const clauseTitle = (id) => model.state.clause_types?.find((c) => c.id === id)?.title || id;
  return h('ul', {class: 'risk-list', 'aria-label': 'Cease-fire risks'}, ...risks.map((r) => {
    const mods = Object.entries(r.modifiers_now || {});
    const choices = [['force', 'Force next draw'], ['veto', 'Veto next draw'], [null, 'Leave to the roll']].map(([value, label]) => {
      const on = (r.override ?? null) === value;
      const b = h('button', {type: 'button', class: 'btn btn--small', 'aria-pressed': String(on),
                             dataset: {key: `risk-${r.id}-${value ?? 'roll'}`}, 'aria-label': `${label}: ${r.title}`}, label);
      b.addEventListener('click', () => { if (!on) sendCommand(conn, 'set_risk_override', {rule: r.id, override: value}, {button: b, errorEl: error}); });
      return b;
    });
    return h('li', {class: ['risk', r.override && `risk--${r.override}`], dataset: {rule: r.id}},
      h('div', {class: 'risk-head'},
        h('p', {class: 'risk-title'}, h('strong', {dir: 'auto'}, r.title), r.ends_ceasefire ? h('span', {class: 'hint'}, ' ends the cease-fire') : null),
        h('p', {class: 'risk-next'}, 'Next draw ', h('strong', {class: 'num risk-odds'}, pct(r.odds_now)))),
      h('dl', {class: 'risk-sum'},
        h('div', {}, h('dt', {}, 'Base'), h('dd', {}, h('span', {class: 'num'}, pct(r.likelihood)))),
        h('div', {}, h('dt', {}, 'Drift'), h('dd', {}, r.per_phase
          ? [h('span', {class: 'num'}, signedPct(r.per_phase)), ` × ${r.phases_held} ${r.phases_held === 1 ? 'phase' : 'phases'} held`] : 'none')),
        // Without a clause that changes this risk: said in full, not "none" (an agreement may well be in force).
        mods.length ? h('div', {}, h('dt', {}, 'Clauses in force'), h('dd', {}, mods.map(([clause, m], i) => [i ? ', ' : '',
          h('bdi', {}, clauseTitle(clause)), ' ', h('span', {class: 'num'}, signedPct(m))])))
          : h('div', {class: 'risk-no-clause'}, h('dt', {class: 'sr-only'}, 'Clauses'),
            h('dd', {}, 'No clause in force changes this risk'))),
      h('div', {class: 'risk-say'},
        h('p', {class: 'risk-override'}, r.override ? [badge(r.override === 'force' ? 'forced' : 'vetoed', r.override === 'force' ? 'danger' : 'ok'),
          ` ${OVERRIDE_WORDS[r.override]}`] : 'The roll decides.'),
        h('div', {class: 'risk-actions', role: 'group', 'aria-label': `Your say over ${r.title}`}, ...choices)));
  }));
}

function ceasefireCard({model, conn}) {
  const body = h('div', {});
  const draws = h('ul', {class: 'draws'});
  const error = errorLine();
  const draw = h('button', {type: 'button', class: 'btn'}, 'Draw cease-fire risk');
  draw.addEventListener('click', () => sendCommand(conn, 'draw_ceasefire_risk', {}, {button: draw, errorEl: error}));
  const el = card('Cease-fire', body, h('div', {class: 'form-actions'}, draw), error,
    h('h3', {}, 'Recent draws'), draws);
  el.id = 'ceasefire';
  function update() {
    const s = model.state;
    draw.disabled = !s.ceasefire || s.exercise.ended;
    renderIfChanged(body, [s.ceasefire, s.ceasefire_risks, s.clause_types?.length], () => [
      h('p', {}, s.ceasefire ? `Holding under agreement #${s.ceasefire.agreement} since phase ${s.ceasefire.began_phase + 1}. ` +
        'Each change of phase draws the risks; you may also draw now.' : 'No cease-fire holds: there is nothing to draw.'),
      s.ceasefire_risks?.length ? [
        h('p', {class: 'hint'}, 'Next draw = base + drift per phase held + each clause in force. Force or veto decides the next draw ' +
          'whatever the roll (still made and shown); then the roll decides again.'),
        riskTable({model, conn}, s.ceasefire_risks, error)] : null]);
    const recent = model.timeline.items.filter((e) => e.type === 'ceasefire_risk_drawn').slice(-6).reverse();
    renderIfChanged(draws, recent.map((e) => e.seq), () => (recent.length ? recent.map((e) => h('li', {},
      `${e.data.title}: ${e.data.occurred ? 'happened' : 'did not happen'} (p ${Math.round(e.data.probability * 100)}%, roll ${Math.round(e.data.roll * 100)})` +
      (e.data.override ? `, ${e.data.override === 'force' ? 'forced' : 'vetoed'} by exercise control` : '')))
      : h('li', {class: 'empty'}, 'No draw yet.')));
  }
  model.on('event', ({event}) => { if (event.type === 'ceasefire_risk_drawn' && model.state) update(); });
  return {el, update};
}

// ---- indicators and relations ------------------------------------------------------------------------

function indicatorAdjust(ind, {conn}) {
  const delta = h('input', {type: 'number', id: uid('delta'), class: 'input-narrow', step: '1', value: '5',
                            'aria-label': `Change to ${ind.name}`});
  const reason = h('input', {type: 'text', id: uid('reason'), 'data-limit': '120', placeholder: 'Reason (shown in the timeline)',
                             'aria-label': `Reason for changing ${ind.name}`});
  const up = h('button', {type: 'submit', class: 'btn btn--small', value: 'up', 'aria-label': `Raise ${ind.name}`}, 'Raise');
  const down = h('button', {type: 'submit', class: 'btn btn--small', value: 'down', 'aria-label': `Lower ${ind.name}`}, 'Lower');
  const error = errorLine();
  const form = h('form', {class: 'adjust-form'}, delta, reason, up, down, error);
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    const sign = e.submitter?.value === 'down' ? -1 : 1;
    const amount = Math.abs(Number(delta.value));
    if (!amount || !reason.value.trim()) {
      showError(error, {message: 'Give a non-zero amount and a reason.'});
      return;
    }
    const ack = await sendCommand(conn, 'adjust_indicator', {indicator: ind.id, delta: sign * amount, reason: reason.value.trim()},
      {button: e.submitter, errorEl: error});
    if (ack.ok) reason.value = '';
  });
  return form;
}

// ---- hidden information: private beliefs, polls, secret cards -------------------------------------------

/** Every delegation's private beliefs about the others' aims, each with a −5/+5 stepper. */
function beliefsCard({model, conn}) {
  const body = h('div', {});
  const error = errorLine();
  const over = h('p', {class: 'hint ended-hint', hidden: true}, 'The exercise has ended: beliefs can no longer be moved.');
  const el = card('Private beliefs', h('p', {class: 'hint'}, 'What each delegation privately believes of another’s aims (0 to 100). ' +
    'Each holder sees only its own; a change is told to the holder alone, without a reason.'), over, body, error);
  el.dataset.testid = 'beliefs-card';
  function update() {
    const beliefs = model.state.beliefs || [];
    const ended = Boolean(model.state.exercise.ended);
    el.hidden = !beliefs.length;
    over.hidden = !ended;
    renderIfChanged(body, [beliefs, ended, model.state.delegations.map((d) => d.name)], () => h('ul', {class: 'belief-list'},
      ...beliefs.map((b) => beliefItem(model, b, {step: (by) => {
        const button = h('button', {type: 'button', class: 'btn btn--small', dataset: {key: `belief-${b.id}-${by}`},
                                    'aria-label': `Belief ${by > 0 ? '+' : '−'}${Math.abs(by)}: ${beliefWho(model, b)}`},
        by > 0 ? `+${by}` : `−${-by}`);
        // After the end, or at its bound, the server would refuse it.
        button.disabled = ended || (by > 0 ? b.value >= 100 : b.value <= 0);
        button.addEventListener('click', () => sendCommand(conn, 'adjust_belief', {holder: b.holder, about: b.about, by},
          {button, errorEl: error}));
        return button;
      }}))));
  }
  return {el, update};
}

/** Who sees an indicator, where the view says (`visible_to`: "all", "umpire" or delegation ids). */
function seenBy(model, ind) {
  if (!ind.visible_to || ind.visible_to === 'all') return 'Seen by everyone';
  if (ind.visible_to === 'umpire') return 'Seen by exercise control only';
  return `Seen by ${[].concat(ind.visible_to).map((d) => model.delegationName(d)).join(', ')}`;
}

const MAX_MARGIN = 50;  // a poll's margin: 1 to 50 points, as the server takes it

/** The readings published so far, beside the true values, and a form to publish one. */
function pollsCard({model, conn}) {
  const polls = pollsView(model);
  const indicator = h('select', {id: 'poll-indicator', 'aria-describedby': 'poll-seen'});
  const seen = h('span', {class: 'hint poll-seen', id: 'poll-seen'});
  const margin = h('input', {type: 'number', id: 'poll-margin', min: '1', max: String(MAX_MARGIN), step: '1', value: '5', class: 'input-narrow',
                             'aria-describedby': 'poll-margin-hint'});
  const publish = h('button', {type: 'submit', class: 'btn btn--primary'}, 'Publish poll');
  const error = errorLine();
  const over = h('p', {class: 'hint ended-hint', hidden: true}, 'The exercise has ended: no more polls can be published.');
  const form = h('form', {class: 'poll-form', 'aria-labelledby': 'poll-form-title'},
    h('h3', {id: 'poll-form-title'}, 'Publish a poll'),
    h('p', {class: 'hint'}, 'Everyone sees the reading: the indicator’s true value off by a random error of at most the margin.'), over,
    h('div', {class: 'inline-form'},
      h('span', {class: 'poll-field poll-field--indicator'}, h('label', {for: 'poll-indicator'}, 'Indicator'), indicator),
      h('span', {class: 'poll-field'}, h('label', {for: 'poll-margin'}, 'Margin ±'), margin), publish),
    seen, h('span', {class: 'hint', id: 'poll-margin-hint'}, `Margin: 1 to ${MAX_MARGIN} points.`), error);
  form.addEventListener('input', () => showError(error, null));  // a refusal says nothing of another choice
  const sayWhoSees = () => {
    const ind = model.state.indicators.find((i) => i.id === indicator.value);
    seen.textContent = ind ? `${seenBy(model, ind)}; everyone else reads only the poll.` : '';
  };
  indicator.addEventListener('change', sayWhoSees);
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    const points = Number(margin.value);
    if (!Number.isInteger(points) || points < 1 || points > MAX_MARGIN) {
      showError(error, {message: `Give a margin of 1 to ${MAX_MARGIN} points.`});
      margin.focus();
      return;
    }
    if (!indicator.value) {
      showError(error, {message: 'Choose an indicator.'});
      return;
    }
    await sendCommand(conn, 'publish_poll', {indicator: indicator.value, margin: points}, {button: publish, errorEl: error});
  });
  const el = card('Polls', polls.el, form);
  el.dataset.testid = 'polls-card';
  function update() {
    polls.update();
    const ended = Boolean(model.state.exercise.ended);
    over.hidden = !ended;
    for (const control of form.querySelectorAll('select, input, button')) control.disabled = ended;
    // A poll of an indicator everyone sees tells nobody anything: offer the hidden ones, where the view says which,
    // grouped by who sees them (the options stay short enough for a phone).
    const inds = model.state.indicators.filter((i) => i.visible_to !== 'all');
    const groups = new Map();
    for (const i of inds) {
      const who = seenBy(model, i);
      groups.set(who, [...(groups.get(who) || []), i]);
    }
    const chosen = indicator.value;
    if (renderIfChanged(indicator, inds.map((i) => [i.id, i.name, i.visible_to ?? null]), () => [...groups].map(([who, list]) =>
      h('optgroup', {label: who}, ...list.map((i) => h('option', {value: i.id}, i.name))))) && inds.some((i) => i.id === chosen)) {
      indicator.value = chosen;
    }
    sayWhoSees();
  }
  return {el, update};
}

/** Every secret card dealt, with its holder, and whether the debrief revealed it yet. */
function secretsCard(model) {
  const body = h('div', {});
  const el = card('Secret cards', h('p', {class: 'hint'}, 'Dealt from the exercise’s seed when it was created. Each is seen by its ' +
    'holder and exercise control, and by the room once you reveal the holder’s objectives in the debrief.'), body);
  el.dataset.testid = 'secrets-card';
  function update() {
    const s = model.state;
    const secrets = s.secrets || [];
    el.hidden = !secrets.length;
    renderIfChanged(body, [secrets, s.assessment ?? null, s.delegations.map((d) => [d.name, d.objectives?.length ?? null])], () => {
      const holders = [...new Set(secrets.map((x) => x.holder))];
      return holders.map((holder) => {
        const mine = secretsOf(s, holder);
        const d = s.delegations.find((x) => x.id === holder);
        const results = secretResults(mine, s.assessment?.find((e) => e.delegation === holder), d?.objectives?.length ?? null);
        return mine.map((x, i) => secretCard(x, {results: results[i], holder: model.delegationName(holder), hidden: 'not revealed'}));
      });
    });
  }
  return {el, update};
}

function worldPanel({model, conn}) {
  const indicators = h('div', {class: 'indicators'});
  const relations = h('div', {});
  const relError = errorLine();
  const relReason = h('input', {type: 'text', id: 'relation-reason', 'data-limit': '120', value: 'umpire adjustment',
                                'aria-describedby': 'relation-reason-hint'});
  const beliefs = beliefsCard({model, conn});
  const polls = pollsCard({model, conn});
  const secrets = secretsCard(model);
  const el = h('div', {class: 'stack'},
    card('Indicators', h('p', {class: 'hint'}, 'Every change is logged with its reason and shown to those who see the indicator.'), indicators),
    card('Trust and readiness',
      h('div', {class: 'field'}, h('label', {for: 'relation-reason'}, 'Reason for the changes below'), relReason,
        h('span', {class: 'hint', id: 'relation-reason-hint'}, 'Shown to the two delegations with each change.')),
      relations, relError),
    h('div', {class: 'grid-2'}, beliefs.el, polls.el, secrets.el));
  function update() {
    const s = model.state;
    beliefs.update();
    polls.update();
    secrets.update();
    // Values change often; forms must keep what the umpire is typing, so bars and forms update apart.
    renderIfChanged(indicators, s.indicators.map((i) => i.id), () => s.indicators.map((ind) =>
      h('div', {class: 'indicator-adjust', dataset: {indicator: ind.id}}, h('div', {class: 'bar-slot'}), indicatorAdjust(ind, {conn}))));
    for (const ind of s.indicators) {
      const slot = indicators.querySelector(`[data-indicator="${CSS.escape(ind.id)}"] .bar-slot`);
      if (slot) renderIfChanged(slot, ind, () => indicatorBar(ind));
    }
    renderIfChanged(relations, [s.relations, s.exercise.readiness_ladder], () => {
      if (!s.relations.length) return emptyNote('The deck tracks no relations.');
      return h('table', {class: 'data-table relations-adjust'},
        h('thead', {}, h('tr', {}, h('th', {scope: 'col'}, 'Between'), h('th', {scope: 'col'}, 'Trust (0–100)'),
          h('th', {scope: 'col'}, 'Readiness'))),
        h('tbody', {}, ...s.relations.map((r) => {
          const names = r.between.map((d) => model.delegationName(d)).join(' – ');
          const step = (kind, n, label, text) => {
            const b = h('button', {type: 'button', class: 'btn btn--small', dataset: {key: `rel-${r.between.join('-')}-${kind}${n}`},
                                   'aria-label': `${label} between ${names}`}, text);
            b.addEventListener('click', () => {
              const reason = relReason.value.trim();
              if (!reason) {
                showError(relError, {message: 'Give a reason for the change (the two delegations see it).'});
                relReason.focus();
                return;
              }
              sendCommand(conn, 'adjust_relation', {between: r.between, [kind]: n, reason}, {button: b, errorEl: relError});
            });
            return b;
          };
          return h('tr', {}, h('th', {scope: 'row'}, names),
            h('td', {dataset: {label: 'Trust'}}, h('div', {class: 'stepper'}, step('trust', -5, 'Trust −5', '−5'), h('span', {class: 'num'}, String(r.trust)),
              step('trust', 5, 'Trust +5', '+5'))),
            h('td', {dataset: {label: 'Readiness'}}, h('div', {class: 'stepper'}, step('readiness', -1, 'Readiness −1', '−'), h('span', {}, r.readiness_label),
              step('readiness', 1, 'Readiness +1', '+'))));
        })));
    });
  }
  model.on('state', update);
  return {el, update};
}

// ---- people -------------------------------------------------------------------------------------------

function joinLinksCard(model) {
  const created = storage.created().find((c) => c.id === model.exerciseId);
  if (!created) return null;
  return card('Join links (saved in this browser)', h('ul', {class: 'link-list'}, ...created.delegations.map((d) =>
    h('li', {}, h('strong', {}, d.name), ' ', h('code', {class: 'code'}, d.code), ' ', copyButton(d.url, 'Copy', `join link for ${d.name}`))),
  h('li', {}, h('strong', {}, 'Projector'), ' ', copyButton(created.observer.projector_url, 'Copy', 'projector link'))));
}

export function controlPanel({model, conn}) {
  const phase = phaseControls({model, conn});
  // After the server was down while the clock ran: how long, and resume or give the time back (outage.js).
  const outage = outageNotice({model, send: (type, fields, opts) => sendOnView({model, conn}, type, fields, opts)});
  const injects = eventListCard({model, conn});
  const adhoc = adHocInject({model, conn});
  const ceasefire = ceasefireCard({model, conn});
  // The debrief's commands are decided on what this console shows: sent with its seq (see sendOnView).
  const debrief = debriefControl({model, send: (type, fields, opts) => sendOnView({model, conn}, type, fields, opts)});
  debrief.el.classList.add('control-debrief');
  const exported = exportCard(model);
  // Phase and clock on top, the event list across the width below, then quick injects and the rest; on a
  // very wide screen the event list stands beside them (control.css).
  const phaseCard = card('Phase and clock', outage.el, phase.el);
  phaseCard.classList.add('control-phase');
  injects.el.classList.add('control-list');
  const objectives = learningObjectivesCard(model);
  const map = mapCard(model);  // the deck's map, when it has one
  const el = h('div', {class: 'control-layout'}, phaseCard, injects.el,
    h('div', {class: 'control-side'}, adhoc.el, ceasefire.el, objectives.el, exported.el, map.el), debrief.el);
  model.on('state', () => {
    el.classList.toggle('is-ended', Boolean(model.state.exercise.ended));  // the debrief moves up, under the phase
    phase.update();
    outage.update();
    injects.update();
    adhoc.update();
    ceasefire.update();
    debrief.update();
    objectives.update();
    map.update();
  });
  return {el, dueCount: injects.dueCount};
}

/** The deck's learning objectives, for the umpire to steer play and the debrief toward them. */
function learningObjectivesCard(model) {
  const list = h('ol', {class: 'learning-objectives'});
  // The deck's print pack (docs/teaching.md): its umpire's packet has the run sheet, and ties each objective
  // to the cards, injects and debrief questions that serve it.
  const pack = h('a', {target: '_blank', rel: 'noopener', 'data-testid': 'print-pack-link'}, 'print pack');
  const el = card('Learning objectives', h('p', {class: 'hint'}, 'What this deck is built to teach; the deck’s ',
    pack, ' (umpire’s packet) says which cards, injects and debrief questions serve each.'), list);
  el.dataset.testid = 'learning-objectives';
  return {
    el,
    update() {
      const ex = model.state.exercise;
      const goals = ex.learning_objectives || [];
      el.hidden = !goals.length;
      pack.href = `/decks/${encodeURIComponent(ex.deck)}/print/umpire`;
      renderIfChanged(list, goals, () => goals.map((g) => h('li', {}, g.text)));
    },
  };
}

export function peoplePanel({model, conn}) {
  const people = peopleCard({model, conn});
  const staff = staffCard({model, conn});
  const links = linksCard({model, conn});
  const saved = joinLinksCard(model);
  const briefs = h('div', {});
  const el = h('div', {class: 'people-panel'}, people.el, h('div', {class: 'grid-2'}, h('div', {class: 'stack'}, staff.el, links.el, saved),
    card('Briefs', h('p', {class: 'hint'}, 'Every delegation’s brief, private parts included (only you see them all).'), briefs)));
  model.on('state', () => {
    people.update();
    staff.update();
    links.update();
    const s = model.state;
    renderIfChanged(briefs, [s.delegations.map((d) => [d.id, d.private_brief]), s.members, s.secrets ?? null, s.assessment ?? null],
      () => delegationsList(model, {full: true}));
  });
  return {el};
}

export {worldPanel};
