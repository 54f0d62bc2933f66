// Briefs: your delegation's public and private brief, objectives, red lines and secret cards; the others' public
// briefs (and their secret cards, once the debrief revealed them).

import {h, renderIfChanged} from '../lib/dom.js';
import {card} from './ui.js';

function kindLabel(kind) {
  return {belligerent: 'party to the conflict', mediator: 'mediator', organization: 'organisation', ally: 'ally'}[kind] || kind;
}

/** An objective or red line, with how it came out once the exercise has ended (`result`: from `assessment`). */
function goal(text, result, redLine) {
  const outcome = result ? (redLine ? result.crossed : result.met) : null;
  if (outcome === null || outcome === undefined) return h('li', {}, text);
  const good = redLine ? !outcome : outcome;
  const word = redLine ? (outcome ? 'crossed' : 'held') : (outcome ? 'met' : 'not met');
  return h('li', {}, text, ' ', h('span', {class: `badge ${good ? 'badge--ok' : 'badge--warn'}`}, word),
    result.detail ? h('span', {class: 'hint'}, result.detail) : null);
}

/**
 * The results of each secret card's objectives, from its holder's entry of the state's `assessment` (after the end):
 * a card's objectives follow the deck's own there, in the cards' order. `deckCount`, the number of the deck's own
 * objectives, where this viewer knows it; else they are counted from the end (the cards say how many they add).
 */
export function secretResults(secrets, entry, deckCount = null) {
  if (!entry) return secrets.map(() => []);
  const known = secrets.every((x) => Array.isArray(x.card.objectives));
  let at = deckCount ?? (known ? entry.objectives.length - secrets.reduce((n, x) => n + x.card.objectives.length, 0) : null);
  return secrets.map((x, i) => {
    if (at === null || at < 0) return [];
    const n = known ? x.card.objectives.length : i === secrets.length - 1 ? entry.objectives.length - at : 0;
    const results = entry.objectives.slice(at, at + n);
    at += n;
    return results;
  });
}

/** "your delegation only" (or `hidden`, for exercise control) until the debrief reveals it, then "revealed to the room". */
function secretBadge(secret, hidden) {
  return secret.revealed ? h('span', {class: 'badge badge--ok'}, 'revealed to the room') : h('span', {class: 'badge badge--private'}, hidden);
}

/**
 * A secret card dealt to a delegation: what it stands for, the card's title and text, and the objectives it adds,
 * each marked with how it came out once the exercise has ended (`results`). `holder`: its holder's name, said
 * when the card is not the viewer's own.
 */
export function secretCard(secret, {results = [], holder = null, hidden = 'your delegation only', heading = 'h3'} = {}) {
  const objectives = secret.card.objectives ?? results.map((r) => r.text);
  return h('div', {class: 'secret', dataset: {secret: secret.id, holder: secret.holder}},
    h(heading, {class: 'secret-head'}, holder ? `${holder}: ` : '', h('span', {dir: 'auto'}, secret.title), ' ', secretBadge(secret, hidden)),
    h('div', {class: 'private secret-card'},
      h('p', {class: 'secret-card-title', dir: 'auto'}, secret.card.title),
      h('p', {class: 'secret-card-text', dir: 'auto'}, secret.card.text),
      objectives.length ? [h('p', {class: 'secret-card-label'}, objectives.length === 1 ? 'Its objective' : 'Its objectives'),
        h('ul', {class: 'objectives'}, ...objectives.map((o, i) => goal(o, results[i], false)))] : null));
}

/** A delegation's secret cards (`secrets`: those of the state's `secrets` it holds), under a heading of their own. */
function secretCards(d, secrets, assessment, {control = false} = {}) {
  if (!secrets.length) return null;
  const results = secretResults(secrets, assessment, d.objectives ? d.objectives.length : null);
  const title = secrets.length === 1 ? 'Secret card' : 'Secret cards';
  return h('section', {class: 'secrets', 'aria-label': title},
    h('h3', {}, title),
    h('p', {class: 'hint'}, control
      ? `Dealt to ${d.name} alone when the exercise was created; the room sees it once you reveal ${d.name}’s objectives in the debrief.`
      : 'Dealt to your delegation alone when the exercise was created. The room sees it only if the umpire reveals your ' +
        'objectives in the debrief.'),
    ...secrets.map((x, i) => secretCard(x, {results: results[i], hidden: control ? 'not revealed' : 'your delegation only',
                                            heading: 'h4'})));
}

/** A delegation's brief; `assessment` (its entry of the state's `assessment`, after the end) marks each goal;
 *  `secrets`, the secret cards it holds (from the state's `secrets`); `control`, for exercise control's eyes. */
export function ownBrief(d, assessment = null, secrets = [], {control = false} = {}) {
  return [
    h('p', {class: 'brief-kind'}, kindLabel(d.kind)),
    h('h3', {}, 'Public brief'),
    h('p', {}, d.public_brief),
    d.private_brief ? [h('h3', {}, 'Private brief ', h('span', {class: 'badge badge--private'}, 'your delegation only')),
      h('p', {class: 'private'}, d.private_brief)] : null,
    d.objectives?.length ? [h('h3', {}, 'Objectives'), h('ul', {class: 'objectives'},
      ...d.objectives.map((o, i) => goal(o, assessment?.objectives[i], false)))] : null,
    d.red_lines?.length ? [h('h3', {}, 'Red lines'), h('ul', {class: 'red-lines'},
      ...d.red_lines.map((o, i) => goal(o, assessment?.red_lines[i], true)))] : null,
    secretCards(d, secrets, assessment, {control}),
  ];
}

/** The secret cards the state shows of delegation `id` (`revealed`: only those the debrief revealed). */
export function secretsOf(state, id, {revealed = false} = {}) {
  return (state.secrets || []).filter((x) => x.holder === id && (!revealed || x.revealed));
}

/**
 * Every delegation, with its members and public brief; `full` (exercise control): each one's whole brief, secret
 * cards included. Otherwise a delegation's secret cards show once the debrief revealed them.
 */
export function delegationsList(model, {full = false} = {}) {
  const s = model.state;
  return h('ul', {class: 'delegation-list'}, ...s.delegations.map((d) => {
    const members = model.membersOf(d.id);
    const assessed = s.assessment?.find((e) => e.delegation === d.id) || null;
    const revealed = full ? [] : secretsOf(s, d.id, {revealed: true});
    const results = secretResults(revealed, assessed);
    return h('li', {class: 'delegation-item', dataset: {delegation: d.id}},
    h('details', {},
      h('summary', {}, h('strong', {}, d.name), ' ', h('span', {class: 'muted'}, `— ${kindLabel(d.kind)}`),
        h('span', {class: 'members', dir: 'auto'}, members.length ? ` · ${members.join(', ')}` : ' · nobody yet'),
        revealed.length ? [' ', h('span', {class: 'badge badge--ok'}, 'secret card revealed')] : null),
      full ? ownBrief(d, assessed, secretsOf(s, d.id), {control: true})
        : [h('p', {}, d.public_brief), ...revealed.map((x, i) => secretCard(x, {results: results[i], heading: 'h4'}))]));
  }));
}

export function briefPanel(model) {
  const mine = h('div', {class: 'brief'});
  const others = h('div', {});
  const title = h('h2', {class: 'card-title'}, 'Your brief');
  const el = h('div', {class: 'grid-2'},
    h('section', {class: 'card'}, title, mine),
    card('Delegations', h('p', {class: 'hint'}, 'Who is at the exercise and what they say in public.'), others));
  model.on('state', () => {
    const s = model.state;
    const d = s.delegations.find((x) => x.id === s.you?.delegation);
    if (d) {
      title.textContent = `Your brief: ${d.name}`;
      const assessed = s.assessment?.find((e) => e.delegation === d.id) || null;  // once the exercise has ended
      const secrets = secretsOf(s, d.id);
      renderIfChanged(mine, [d.public_brief, d.private_brief, d.objectives, d.red_lines, assessed, secrets],
        () => ownBrief(d, assessed, secrets));
    }
    renderIfChanged(others, [s.delegations.map((x) => x.id), s.members, s.secrets?.filter((x) => x.revealed) ?? null,
                             s.assessment ?? null], () => delegationsList(model));
  });
  return {el};
}
