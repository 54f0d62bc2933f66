// Proposals and agreements: draft from the deck's clause types at a table, amend, sign, withdraw;
// who has signed, what is in force, and which proposals stand or fall together (links).

import {eventually, h, refocus, renderIfChanged, uid} from '../lib/dom.js';
import {termText} from '../lib/glossary.js';
import {badge, card, confirmButton, emptyNote, errorLine, roomLeft, sendCommand, showError} from './ui.js';

const MAX_CLAUSES = 30;  // what the server takes (docs/protocol.md, Limits)
const STATUS_LABEL = {open: 'open', signed: 'signed by all', in_force: 'in force', withdrawn: 'withdrawn'};
const STATUS_ORDER = {open: 0, signed: 1, in_force: 2, withdrawn: 3};

// Who must sign beside a clause type's text for it to enter into force (``in_package_with``), in words.
function signers(model, kind) {
  return kind.in_package_with.map((d) => model.delegationName(d)).join(' and ');
}

function seatedTables(state) {
  const me = state.you?.delegation;
  return state.tables.filter((t) => t.delegations.includes(me) || t.mediators.includes(me));
}

// ---- the drafting form (also used to amend) -------------------------------------------------------

function draftForm({model, conn}) {
  let amending = null;  // proposal number being amended, or null for a new draft
  let amendingVersion = null;  // the version the amendment was started from
  const heading = h('h2', {class: 'card-title'}, 'Draft a proposal');
  const tableSelect = h('select', {id: uid('table'), required: true});
  const titleInput = h('input', {id: uid('title'), type: 'text', 'data-limit': '120', required: true,
                                 placeholder: 'e.g. Grain corridor, first stage'});
  const clauses = h('ol', {class: 'clause-rows'});
  const addClause = h('button', {type: 'button', class: 'btn btn--small'}, '+ Add a clause');
  const clauseCount = h('span', {class: 'room-left', 'aria-live': 'polite'});
  const titleRoom = roomLeft(titleInput);
  const links = h('fieldset', {class: 'links'}, h('legend', {}, 'Link with (all enter into force together)'));
  const submit = h('button', {type: 'submit', class: 'btn btn--primary'}, 'Put it on the table');
  const cancel = h('button', {type: 'button', class: 'btn', hidden: true}, 'Cancel amendment');
  const error = errorLine();
  const tableNote = h('p', {class: 'hint'});
  heading.id = uid('draft');
  const form = h('form', {class: 'draft-form', 'aria-labelledby': heading.id},
    h('div', {class: 'field'}, h('label', {for: tableSelect.id}, 'Table'), tableSelect, tableNote),
    h('div', {class: 'field'}, h('label', {for: titleInput.id}, 'Title'), titleInput, titleRoom),
    h('fieldset', {class: 'clauses'}, h('legend', {}, 'Clauses'), clauses,
      h('div', {class: 'clause-foot'}, addClause, clauseCount)),
    links,
    h('div', {class: 'form-actions'}, submit, cancel),
    error);
  const el = h('section', {class: 'card', id: 'draft-card'}, heading, form);

  function clauseOptions(select, chosen) {
    const me = model.state.you?.delegation;
    const table = model.state.tables.find((t) => t.id === tableSelect.value);
    const sig = `${me}|${tableSelect.value}|${model.state.clause_types.map((k) => k.id).join()}`;
    if (select.__sig === sig) return;
    select.__sig = sig;
    select.replaceChildren(...model.state.clause_types.map((k) => {
      const notMine = k.offered_by.length && !k.offered_by.includes(me);
      const missing = table && k.requires_parties.some((d) => !table.delegations.includes(d));
      // Short notes, so a closed select shows the clause's name whole on a phone.
      const note = notMine ? ` (${k.offered_by.map((d) => model.delegationName(d)).join(' or ')} only)`
        : missing ? ` (needs ${k.requires_parties.map((d) => model.delegationName(d)).join(', ')})` : '';
      return h('option', {value: k.id, disabled: Boolean(notMine || missing), selected: k.id === chosen}, k.title + note);
    }));
    if (chosen && select.value !== chosen) select.value = chosen;
  }

  function clauseRow(clause = {}) {
    const select = h('select', {id: uid('clause'), class: 'clause-type'});
    const terms = h('textarea', {id: uid('terms'), class: 'clause-terms', rows: '2', 'data-limit': '2000',
                                 placeholder: 'Terms (optional): dates, numbers, who does what'});
    const desc = h('p', {class: 'hint clause-desc'});
    const remove = h('button', {type: 'button', class: 'btn btn--small btn--ghost', 'aria-label': 'Remove this clause'}, 'Remove');
    clauseOptions(select, clause.clause_type);
    if (!clause.clause_type) {
      const first = [...select.options].find((o) => !o.disabled);
      if (first) select.value = first.value;
    }
    terms.value = clause.terms || '';
    const termsRoom = roomLeft(terms);
    const describe = () => {
      const k = model.state.clause_types.find((x) => x.id === select.value);
      const beside = k?.in_package_with?.length
        ? ` It enters into force only together with a text ${signers(model, k)} signs: link this proposal to one.` : '';
      desc.replaceChildren(k ? termText(k.text) : '', beside);
    };
    select.addEventListener('change', describe);
    describe();
    const row = h('li', {class: 'clause-row'},
      h('div', {class: 'field'}, h('label', {for: select.id}, 'Clause type'), select, desc),
      h('div', {class: 'field'}, h('label', {for: terms.id}, 'Terms'), terms, termsRoom),
      remove);
    remove.addEventListener('click', () => {
      row.remove();
      if (!clauses.children.length) clauses.appendChild(clauseRow());
      countClauses();
    });
    return row;
  }

  function countClauses() {
    const n = clauses.children.length;
    clauseCount.textContent = `${n} of ${MAX_CLAUSES} clauses`;
    addClause.disabled = n >= MAX_CLAUSES;
  }

  function refreshOptions() {
    const state = model.state;
    const tables = seatedTables(state);
    const chosen = tableSelect.value;
    renderIfChanged(tableSelect, tables.map((t) => [t.id, t.open]), () => tables.map((t) =>
      h('option', {value: t.id, disabled: !t.open}, t.name + (t.open ? '' : ' (closed in this phase)'))));
    if (chosen && tables.some((t) => t.id === chosen && t.open)) tableSelect.value = chosen;
    else if (![...tableSelect.options].some((o) => o.selected && !o.disabled)) {
      const open = tables.find((t) => t.open);
      if (open) tableSelect.value = open.id;
    }
    const table = state.tables.find((t) => t.id === tableSelect.value);
    tableNote.textContent = table ? `Parties who sign: ${table.delegations.map((d) => model.delegationName(d)).join(', ')}` +
      (table.mediators.length ? `; mediators: ${table.mediators.map((d) => model.delegationName(d)).join(', ')}` : '') : '';
    for (const row of clauses.children) {
      const select = row.querySelector('select');
      clauseOptions(select, select.value);
    }
    if (!clauses.children.length) clauses.appendChild(clauseRow());
    countClauses();
    const checked = new Set([...links.querySelectorAll('input:checked')].map((i) => Number(i.value)));
    const candidates = state.proposals.filter((p) => p.status !== 'withdrawn' && p.proposal !== amending);
    renderIfChanged(links, [candidates.map((p) => [p.proposal, p.title, p.status]), amending], () => [
      h('legend', {}, 'Link with (all enter into force together)'),
      candidates.length ? candidates.map((p) => h('label', {class: 'check'},
        h('input', {type: 'checkbox', value: String(p.proposal), checked: checked.has(p.proposal)}),
        ` #${p.proposal} `, h('bdi', {}, p.title), ` (${STATUS_LABEL[p.status]})`)) : h('p', {class: 'hint'}, 'No other proposal to link with yet.')]);
    const started = Boolean(state.exercise.phase) && !state.exercise.ended;
    submit.disabled = !started || !tables.some((t) => t.open);
    if (!started) showError(error, {message: state.exercise.ended ? 'The exercise has ended.' : 'Proposals can be drafted once the first phase starts.'});
    else if (error.textContent.startsWith('Proposals can be drafted')) showError(error, null);
  }

  function reset() {
    amending = null;
    heading.textContent = 'Draft a proposal';
    submit.textContent = 'Put it on the table';
    cancel.hidden = true;
    tableSelect.disabled = false;
    titleInput.value = '';
    titleRoom.refresh();
    clauses.replaceChildren(clauseRow());
    countClauses();
    for (const input of links.querySelectorAll('input')) input.checked = false;
    links.__sig = null;
    showError(error, null);
    refreshOptions();
  }

  function amend(p) {
    amending = p.proposal;
    amendingVersion = p.version;
    heading.textContent = `Amend proposal #${p.proposal}`;
    submit.textContent = `Table version ${p.version + 1}`;
    cancel.hidden = false;
    tableSelect.value = p.table;
    tableSelect.disabled = true;
    titleInput.value = p.title;
    titleRoom.refresh();
    clauses.replaceChildren(...p.clauses.map((c) => clauseRow(c)));
    countClauses();
    links.__sig = null;
    refreshOptions();
    for (const input of links.querySelectorAll('input')) input.checked = p.links.includes(Number(input.value));
    showError(error, null);
    el.scrollIntoView({behavior: 'smooth', block: 'start'});
    titleInput.focus();
  }

  addClause.addEventListener('click', () => {
    if (clauses.children.length >= MAX_CLAUSES) return;
    const row = clauseRow();
    clauses.appendChild(row);
    countClauses();
    row.querySelector('select').focus();
  });
  cancel.addEventListener('click', reset);
  tableSelect.addEventListener('change', refreshOptions);
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    const body = {
      title: titleInput.value.trim(),
      clauses: [...clauses.children].map((row) => ({clause_type: row.querySelector('select').value,
                                                    terms: row.querySelector('textarea').value.trim()})),
      links: [...links.querySelectorAll('input:checked')].map((i) => Number(i.value)),
    };
    if (!body.title) {
      showError(error, {message: 'Give the proposal a title.'});
      titleInput.focus();
      return;
    }
    const number = amending;
    const ack = amending
      ? await sendCommand(conn, 'amend_proposal', {proposal: amending, version: amendingVersion, ...body},
        {button: submit, errorEl: error})
      : await sendCommand(conn, 'draft_proposal', {table: tableSelect.value, ...body}, {button: submit, errorEl: error});
    if (ack.ok) {
      reset();
      // The button was busy (so lost the focus): the keyboard goes on at the proposal just put on the table.
      await model.caughtUp(ack.seq);
      const key = headingKey(number ?? await eventually(() => draftedAt(model, ack.seq), 1000));
      if (key) await eventually(() => document.querySelector(`[data-key="${CSS.escape(key)}"]`), 1000);
      refocus(key, submit);
    } else {
      if (amending && ack.error?.code === 'stale') {
        // Someone amended it meanwhile: the refusal says so; pressing again replaces their version, knowingly.
        amendingVersion = ack.error.fields?.version ?? amendingVersion;
        submit.textContent = `Replace version ${amendingVersion} with yours`;
      }
      refocus(submit);
    }
  });

  return {el, refresh: refreshOptions, amend, reset, get amending() { return amending; }};
}

/** The number of the proposal this viewer's draft command (answered with `seq`) put on the table. */
function draftedAt(model, seq) {
  const items = model.timeline.items;
  for (let i = items.length - 1; i >= 0; i -= 1) {
    const e = items[i];
    if (e.seq <= seq && e.type === 'proposal_drafted') return e.data.proposal;
    if (e.seq < seq - 20) break;
  }
  return null;
}

/** The data-key of a proposal's heading, where the focus goes once its buttons are rebuilt or gone. */
function headingKey(number) {
  return number === null || number === undefined ? null : `proposal-${number}`;
}

/** After a command from a proposal's button: the focus goes back to that button (rebuilt, found by its
 *  data-key) if it is still there, or to the proposal's heading. */
async function focusAfter(model, ack, key, number) {
  if (ack.ok) await model.caughtUp(ack.seq);
  refocus(key, headingKey(number));
}

// ---- one proposal ----------------------------------------------------------------------------------

function proposalCard(p, {model, conn, role, onAmend}) {
  const state = model.state;
  const me = state.you?.delegation;
  const table = state.tables.find((t) => t.id === p.table);
  const seated = table && (table.delegations.includes(me) || table.mediators.includes(me));
  const live = p.status === 'open' || p.status === 'signed';
  const error = errorLine();
  const actions = [];
  if (role === 'delegation' && live && !state.exercise.ended) {
    if (p.parties.includes(me) && !p.signatures.includes(me)) {
      const sign = h('button', {type: 'button', class: 'btn btn--primary', dataset: {key: `sign-${p.proposal}`},
                                'aria-label': `Sign proposal #${p.proposal}: ${p.title}`}, `Sign for ${model.delegationName(me)}`);
      sign.addEventListener('click', async () => focusAfter(model,
        await sendCommand(conn, 'sign_proposal', {proposal: p.proposal, version: p.version}, {button: sign, errorEl: error}),
        sign.dataset.key, p.proposal));
      actions.push(sign);
    }
    if (seated) {
      const amend = h('button', {type: 'button', class: 'btn', dataset: {key: `amend-${p.proposal}`},
                                 'aria-label': `Amend proposal #${p.proposal}`}, 'Amend');
      amend.addEventListener('click', () => onAmend(p));
      actions.push(amend);
    }
    if (p.drafted_by === me) {
      actions.push(confirmButton('Withdraw', 'Confirm withdraw', async (button) => focusAfter(model,
        await sendCommand(conn, 'withdraw_proposal', {proposal: p.proposal}, {button, errorEl: error}),
        button.dataset.key, p.proposal),
      {className: 'btn btn--danger', key: `withdraw-p-${p.proposal}`}));
    }
  }
  const linked = p.links.map((n) => {
    const other = state.proposals.find((x) => x.proposal === n);
    return other ? [`#${n} “`, h('bdi', {}, other.title), `” (${STATUS_LABEL[other.status]})`]
      : [`#${n} (at a table where you do not sit)`];
  });
  // A clause that binds only beside a text others sign says so on the card, to every party (the deck's rule).
  const beside = p.status === 'in_force' ? [] : p.clauses.map((c) => model.state.clause_types.find((k) => k.id === c.clause_type))
    .filter((k) => k?.in_package_with?.length)
    .map((k) => `“${k.title}” enters into force only together with a text ${signers(model, k)} signs.`);
  const linkedFrom = state.proposals.filter((x) => x.links.includes(p.proposal) && !p.links.includes(x.proposal))
    .map((x) => [`#${x.proposal} (links here)`]);
  return h('article', {class: ['proposal', `proposal--${p.status}`], dataset: {proposal: p.proposal}},
    h('header', {class: 'proposal-head'},
      h('h3', {class: 'proposal-title', tabindex: '-1', dataset: {key: headingKey(p.proposal)}},
        h('span', {class: 'proposal-num'}, `#${p.proposal}`), ' ', h('span', {dir: 'auto'}, p.title)),
      h('div', {class: 'badges'}, badge(STATUS_LABEL[p.status] || p.status, p.status),
        p.version !== null ? badge(`version ${p.version}`) : null)),
    // An agreement in force at a table one does not sit at shows what its entry into force told: no drafter.
    h('p', {class: 'muted'}, `At ${model.tableName(p.table)}`,
      p.drafted_by ? ` · drafted by ${model.delegationName(p.drafted_by)}` : ''),
    h('ol', {class: 'clauses-list'}, ...p.clauses.map((c) => h('li', {},
      h('strong', {}, termText(c.title)), c.terms ? [' — ', h('span', {class: 'terms', dir: 'auto'}, c.terms)] : null))),
    beside.length ? h('p', {class: 'hint package-note'}, beside.join(' ')) : null,
    // Signed by every party and not in force: it waits for its package (texts one may not be shown).
    p.status === 'signed' ? h('p', {class: 'hint waits-note'},
      'Every party has signed: it enters into force when every text linked with it is signed too.') : null,
    h('ul', {class: 'signatures', 'aria-label': 'Signatures'}, ...p.parties.map((d) => {
      const signed = p.signatures.includes(d);
      return h('li', {class: signed ? 'is-signed' : 'is-unsigned'},
        h('span', {'aria-hidden': 'true'}, signed ? '✓ ' : '○ '), model.delegationName(d), signed ? ' signed' : ' not yet');
    })),
    linked.length || linkedFrom.length ? h('p', {class: 'links-note'}, 'Linked: ',
      [...linked, ...linkedFrom].flatMap((x, i) => (i ? ['; ', ...x] : x))) : null,
    actions.length ? h('div', {class: 'form-actions'}, ...actions) : null,
    error);
}

export function proposalsList(model, {conn, role, onAmend, statuses = null, only = () => true}) {
  const items = model.state.proposals
    .filter((p) => (!statuses || statuses.includes(p.status)) && only(p))
    .slice()
    .sort((a, b) => (STATUS_ORDER[a.status] - STATUS_ORDER[b.status]) || (b.proposal - a.proposal));
  if (!items.length) return emptyNote(statuses?.length === 1 && statuses[0] === 'in_force' ? 'No agreement is in force yet.' : 'No proposal yet.');
  return h('div', {class: 'proposal-list'}, ...items.map((p) => proposalCard(p, {model, conn, role, onAmend})));
}

export function proposalsPanel({model, conn, role}) {
  const form = role === 'delegation' ? draftForm({model, conn}) : null;
  const list = h('div', {});
  const elsewhere = h('div', {});
  const elsewhereCard = card('Agreements in force at other tables', elsewhere);
  const el = h('div', {class: ['grid-2', 'proposals-panel']},
    h('div', {class: 'stack'}, card(role === 'delegation' ? 'Proposals at your tables' : 'Proposals and agreements', list),
      role === 'delegation' ? elsewhereCard : null),
    form?.el);
  const atMyTables = (p) => {
    const me = model.state.you?.delegation;
    const table = model.state.tables.find((t) => t.id === p.table);
    return role !== 'delegation' || Boolean(table && (table.delegations.includes(me) || table.mediators.includes(me)));
  };
  model.on('state', () => {
    const s = model.state;
    form?.refresh();
    if (form?.amending && !s.proposals.some((p) => p.proposal === form.amending && (p.status === 'open' || p.status === 'signed'))) {
      form.reset();
    }
    renderIfChanged(list, [s.proposals, s.you, s.exercise.ended, s.tables.map((t) => t.open)], () =>
      proposalsList(model, {conn, role, onAmend: (p) => form?.amend(p), only: atMyTables}));
    const others = s.proposals.filter((p) => !atMyTables(p));
    elsewhereCard.hidden = !others.length;
    renderIfChanged(elsewhere, [others], () =>
      proposalsList(model, {conn, role, only: (p) => !atMyTables(p)}));
  });
  return {el};
}
