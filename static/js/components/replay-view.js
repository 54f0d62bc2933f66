// One perspective's view of the exercise as it stood at a seq: the consoles' own panels (phase, indicators,
// polls, trust and readiness, private beliefs, secret cards, injects, signals, proposals and agreements,
// cease-fire), fed by a read-only model that
// holds the replay's state instead of a live one. In a comparison, the entries this perspective knew and the
// other did not are marked, with words ("only Ukraine"), not colour alone.

import {h, renderIfChanged} from '../lib/dom.js';
import {ExerciseModel} from '../lib/store.js';
import {describeOnly, perspectiveHint} from '../lib/replay.js';
import {beliefsView, ceasefireView, indicatorsView, injectsView, phaseView, pollsView, relationsView} from './situation.js';
import {secretCard, secretResults} from './brief.js';
import {signalsPanel} from './signals.js';
import {proposalsPanel} from './proposals.js';
import {badge, card, emptyNote} from './ui.js';

const MOVE_STATUS = {waiting: 'waiting for a ruling', approved: 'approved', rejected: 'rejected', modified: 'modified'};

// Where each compared section shows in the panels: the entry's element, the data attribute holding its key, and
// where inside it the mark's words go.
const MARKED = [
  ['indicators', '.indicator[data-indicator]', 'indicator', '.indicator-name'],
  ['relations', 'tr[data-relation]', 'relation', 'th'],
  ['beliefs', '.belief[data-belief]', 'belief', '.belief-who'],
  ['polls', '.poll[data-poll]', 'poll', '.poll-name'],
  ['secrets', '.secret[data-secret]', 'secret', '.secret-head'],
  ['signals', '.played[data-play]', 'play', '.played-title'],
  ['proposals', '.proposal[data-proposal]', 'proposal', '.proposal-head .badges'],
  ['injects_fired', '.inject-item[data-seq]', 'seq', '.inject-title'],
  ['moves', '.rp-move[data-move]', 'move', '.rp-move-head'],
];

/** A read-only model: the consoles' components render from it; the replay sets its state. */
export function replayModel({exerciseId, token, key}) {
  return new ExerciseModel({exerciseId, token, viewerKey: `replay:${key}`});
}

/** The secret cards this perspective saw, each with its holder. */
function secretsView(model) {
  const el = h('div', {class: 'rp-secrets'});
  return {
    el,
    update() {
      const s = model.state;
      const secrets = s.secrets || [];
      renderIfChanged(el, [secrets, s.assessment ?? null], () => (secrets.length ? secrets.map((x) => {
        const [results] = secretResults([x], s.assessment?.find((e) => e.delegation === x.holder));
        return secretCard(x, {results, holder: model.delegationName(x.holder), hidden: 'not revealed'});
      }) : emptyNote('No secret card was seen from here.')));
    },
  };
}

function movesView(model) {
  const el = h('div', {class: 'rp-moves'});
  return {
    el,
    update() {
      const moves = model.state.moves || [];
      renderIfChanged(el, moves, () => (moves.length ? h('ul', {class: 'rp-move-list'}, ...moves.slice().reverse().map((m) =>
        h('li', {class: 'rp-move', dataset: {move: m.move}},
          h('p', {class: 'rp-move-head'}, h('strong', {}, `#${m.move} ${model.delegationName(m.by)}`), ' ',
            badge(MOVE_STATUS[m.status] || m.status, m.status === 'rejected' ? 'warn' : m.status === 'waiting' ? '' : 'ok')),
          h('p', {class: 'rp-move-action', dir: 'auto'}, m.action || ''),
          m.outcome ? h('p', {class: 'muted', dir: 'auto'}, m.outcome) : null)))
        : emptyNote('No free move yet.')));
    },
  };
}

/**
 * @param {object} o
 * @param {string} o.exerciseId
 * @param {string} o.token
 * @param {string} o.key  the perspective (umpire, observers, public, d:<id>)
 * @param {string} o.label  its name ("Ukraine")
 */
export function replayView({exerciseId, token, key, label}) {
  const model = replayModel({exerciseId, token, key});
  const phase = phaseView(model);
  const indicators = indicatorsView(model);
  const relations = relationsView(model);
  const injects = injectsView(model);
  const ceasefire = ceasefireView(model);
  const moves = movesView(model);
  const beliefs = beliefsView(model);
  const polls = pollsView(model);
  const secrets = secretsView(model);
  const relationsCard = card('Trust and readiness', relations.el);
  const beliefsCard = card('Private beliefs', beliefs.el);
  const pollsCard = card('Polls', polls.el);
  const secretsCard = card('Secret cards', secrets.el);
  const movesCard = card('Moves and rulings', moves.el);
  const summary = h('p', {class: 'rp-only-summary', 'aria-live': 'polite'});
  const heading = h('h2', {class: 'rp-view-title'}, h('span', {class: 'rp-view-name'}, label),
    h('span', {class: 'rp-view-hint'}, ` — ${perspectiveHint(key)}`));
  const phaseCard = card('Phase', phase.el);
  phaseCard.classList.add('rp-phase-card');  // the same for every perspective: left out side by side
  const cards = h('div', {class: 'rp-cards'},
    phaseCard,
    card('Indicators', indicators.el),
    pollsCard,
    card('News and injects', injects.el),
    signalsPanel({model, conn: null, role: 'observer'}).el,
    relationsCard,
    beliefsCard,
    secretsCard,
    proposalsPanel({model, conn: null, role: 'observer'}).el,
    movesCard,
    card('Cease-fire', ceasefire.el));
  const el = h('section', {class: 'rp-view', dataset: {perspective: key}, 'aria-label': `Seen by ${label}`},
    h('header', {class: 'rp-view-head'}, heading, summary), cards);

  let marks = null;  // {only, differs} of this side in a comparison, or null
  const observer = new MutationObserver(() => applyMarks());

  function applyMarks() {
    observer.disconnect();
    for (const [section, selector, attr, where] of MARKED) {
      const only = marks?.only[section];
      const differs = marks?.differs[section];
      for (const entry of cards.querySelectorAll(selector)) {
        const k = entry.dataset[attr];
        mark(entry, only?.has(k) ? 'only' : differs?.has(k) ? 'differs' : '', where);
      }
    }
    observer.observe(cards, {childList: true, subtree: true});
  }

  function mark(entry, kind, where) {
    if ((entry.dataset.rpMark || '') === kind) return;
    entry.classList.remove('rp-only', 'rp-differs');
    entry.__rpBadge?.remove();
    entry.__rpBadge = null;
    if (kind) {
      entry.classList.add(`rp-${kind}`);
      const words = kind === 'only' ? `only ${label}` : 'seen differently';
      entry.__rpBadge = h('span', {class: ['rp-badge', `rp-badge--${kind}`]}, words);
      (entry.querySelector(where) || entry).append(' ', entry.__rpBadge);
    }
    entry.dataset.rpMark = kind;
  }

  return {
    el,
    model,
    key,
    label,
    /** Show a replay answer ({state, ...}); `side`: this view's part of compareViews(), or null. */
    show(reply, side = null) {
      const first = !model.state;
      model.state = reply.state;
      phase.update();
      indicators.update();
      relations.update();
      injects.update();
      ceasefire.update();
      moves.update();
      beliefs.update();
      polls.update();
      secrets.update();
      model.emit('state', {first});
      // Cards this perspective never fills are left out, but side by side both keep every card, row by row.
      relationsCard.hidden = !side && !(reply.state.relations || []).length && (key === 'public' || key === 'observers');
      movesCard.hidden = !side && !(reply.state.moves || []).length && key !== 'umpire' && !key.startsWith('d:');
      // Hidden information shows where this perspective had some; side by side, where either had (row by row).
      const held = (section) => (side ? side.held[section] : (reply.state[section] || []).length > 0);
      beliefsCard.hidden = !held('beliefs');
      pollsCard.hidden = !held('polls');
      secretsCard.hidden = !held('secrets');
      marks = side;
      const words = side ? describeOnly(side.only) : '';
      summary.hidden = !side;
      summary.textContent = side ? (words ? `Known only to ${label} at this moment: ${words}.`
        : `${label} knew nothing here that the other did not.`) : '';
      applyMarks();
    },
    destroy() {
      observer.disconnect();
    },
  };
}
