// Signals: the cards in a delegation's hand (what each does, how it may be played) and the signals
// on the table (withdraw your own reversible ones).

import {h, renderIfChanged, uid} from '../lib/dom.js';
import {describeEffects} from '../lib/format.js';
import {glossaryNote, termText} from '../lib/glossary.js';
import {badge, card, emptyNote, errorLine, sendCommand, showError} from './ui.js';
import {cardMoveForm} from './moves.js';

const VISIBILITY = {public: 'public only', private: 'private only', either: 'public or private'};

function cardFacts(c, model) {
  const rows = [];
  if (c.toward?.length) rows.push(['Aimed at', c.toward.map((d) => model.delegationName(d)).join(', ')]);
  const effects = describeEffects(c.effects, model);
  if (effects) rows.push(['Effects', effects]);
  const cost = describeEffects(c.cost, model);
  if (cost) rows.push(['Cost to you', cost]);
  rows.push(['Credibility', c.credibility]);
  rows.push(['Withdraw', c.reversible ? 'possible later (it costs trust)' : 'not possible']);
  return h('dl', {class: 'facts'}, ...rows.flatMap(([k, v]) => [h('dt', {}, k), h('dd', {}, v)]));
}

function playForm(c, model, conn) {
  const mine = model.state.you?.delegation;
  const others = model.state.delegations.filter((d) => d.id !== mine);
  const error = errorLine();
  const name = uid('vis');
  const publicRadio = h('input', {type: 'radio', name, value: 'public', checked: c.visibility !== 'private'});
  const privateRadio = h('input', {type: 'radio', name, value: 'private', checked: c.visibility === 'private'});
  const toBoxes = others.map((d) => h('label', {class: 'check'},
    h('input', {type: 'checkbox', value: d.id, checked: c.toward?.includes(d.id)}), ' ', d.name));
  const recipients = h('fieldset', {class: 'recipients'}, h('legend', {}, 'Send privately to'), ...toBoxes);
  const button = h('button', {type: 'submit', class: 'btn btn--primary', dataset: {key: `play-${c.id}`}}, 'Play');
  const choice = c.visibility === 'either'
    ? h('fieldset', {class: 'radios'}, h('legend', {}, 'How'),
      h('label', {class: 'check'}, publicRadio, ' In public'), h('label', {class: 'check'}, privateRadio, ' Privately'))
    : null;

  function sync() {
    const priv = c.visibility === 'private' || (c.visibility === 'either' && privateRadio.checked);
    recipients.hidden = !priv;
    button.textContent = priv ? 'Play privately' : 'Play in public';
    button.setAttribute('aria-label', `${button.textContent}: ${c.title}`);
  }
  publicRadio.addEventListener('change', sync);
  privateRadio.addEventListener('change', sync);
  sync();

  const form = h('form', {class: 'play-form'}, choice, recipients, button, error);
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    const priv = !recipients.hidden;
    const to = priv ? toBoxes.map((l) => l.querySelector('input')).filter((i) => i.checked).map((i) => i.value) : [];
    if (priv && !to.length) {
      showError(error, {message: 'Choose who receives it.'});
      return;
    }
    await sendCommand(conn, 'play_signal', {card: c.id, to}, {button, errorEl: error});
  });
  return form;
}

function handCard(c, model, conn, {playable}) {
  const adjudicated = c.adjudicated !== null && c.adjudicated !== undefined;
  return h('article', {class: 'signal-card', dataset: {card: c.id}},
    h('header', {class: 'signal-head'},
      h('h3', {}, c.title),
      h('div', {class: 'badges'}, badge(VISIBILITY[c.visibility] || c.visibility, c.visibility),
        badge(c.reversible ? 'reversible' : 'irreversible', c.reversible ? 'ok' : 'warn'),
        adjudicated ? badge('ruled by the umpire', 'warn') : null)),
    h('p', {}, termText(c.text)),
    cardFacts(c, model),
    // A card the deck marks as adjudicated is not played: it goes to exercise control as a move.
    playable ? (adjudicated ? cardMoveForm(c, model, conn) : playForm(c, model, conn)) : null);
}

function playedList(model, conn, {canWithdraw}) {
  const s = model.state;
  const mine = s.you?.delegation;
  if (!s.signals.length) return emptyNote('No signal has been played yet.');
  return h('ul', {class: 'played-list'}, ...s.signals.slice().reverse().map((p) => {
    const error = errorLine();
    const how = p.to.length ? `privately to ${p.to.map((d) => model.delegationName(d)).join(', ')}` : 'in public';
    const withdraw = canWithdraw && p.by === mine && p.active && p.reversible
      ? h('button', {type: 'button', class: 'btn btn--small btn--danger', dataset: {key: `withdraw-${p.play}`},
                     'aria-label': `Withdraw: ${p.title}`}, 'Withdraw')
      : null;
    withdraw?.addEventListener('click', () => sendCommand(conn, 'withdraw_signal', {play: p.play}, {button: withdraw, errorEl: error}));
    return h('li', {class: ['played', !p.active && 'is-withdrawn'], dataset: {play: p.play}},
      h('div', {class: 'played-main'},
        h('span', {class: 'played-num'}, `#${p.play}`),
        h('div', {},
          h('p', {class: 'played-title'}, h('strong', {}, model.delegationName(p.by)), ': ', p.title),
          h('p', {class: 'muted'}, how,
            p.toward.length ? `, toward ${p.toward.map((d) => model.delegationName(d)).join(', ')}` : '',
            p.active ? '' : ' · withdrawn',
            p.reciprocated_by.length ? ` · answered by ${p.reciprocated_by.map((n) => `#${n}`).join(', ')}` : '')),
        withdraw),
      error);
  }));
}

/** The delegation's signals tab. */
export function signalsPanel({model, conn, role}) {
  const hand = h('div', {class: 'hand'});
  const played = h('div', {});
  const hands = h('div', {});
  const parts = role === 'delegation'
    ? [card('Your hand', h('p', {class: 'hint'}, 'A signal shows intent without a word said. Each card can be played once.'), hand,
      glossaryNote()),
      card('Signals on the table', played)]
    : [card('Signals on the table', played, glossaryNote()), role === 'umpire' ? card('Hands', hands) : null];
  const el = h('div', {class: 'grid-2'}, ...parts);

  model.on('state', () => {
    const s = model.state;
    const started = Boolean(s.exercise.phase) && !s.exercise.ended;
    if (role === 'delegation') {
      const d = s.delegations.find((x) => x.id === s.you?.delegation);
      const cards = d?.hand || [];
      renderIfChanged(hand, [cards.map((c) => c.id), started], () => {
        if (!cards.length) return emptyNote('Your hand is empty.');
        return [started ? null : h('p', {class: 'notice'}, 'Signals can be played once the umpire starts the first phase.'),
          ...cards.map((c) => handCard(c, model, conn, {playable: started}))];
      });
    }
    renderIfChanged(played, [s.signals, role], () => playedList(model, conn, {canWithdraw: role === 'delegation' && !s.exercise.ended}));
    if (role === 'umpire') {
      renderIfChanged(hands, s.delegations.map((d) => [d.id, (d.hand || []).map((c) => c.id)]), () =>
        h('ul', {class: 'hands'}, ...s.delegations.map((d) => h('li', {},
          h('strong', {}, d.name), ': ',
          (d.hand || []).length ? d.hand.map((c) => c.title).join(' · ') : h('span', {class: 'muted'}, 'no cards left')))));
    }
  });
  return {el};
}
