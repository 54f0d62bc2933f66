// Briefs: your delegation's public and private brief, objectives and red lines; the others' public briefs.

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

/** A delegation's brief; `assessment` (its entry of the state's `assessment`, after the end) marks each goal. */
export function ownBrief(d, assessment = null) {
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
  ];
}

export function delegationsList(model, {full = false} = {}) {
  const delegations = model.state.delegations;
  return h('ul', {class: 'delegation-list'}, ...delegations.map((d) => {
    const members = model.membersOf(d.id);
    return h('li', {class: 'delegation-item'},
    h('details', {},
      h('summary', {}, h('strong', {}, d.name), ' ', h('span', {class: 'muted'}, `— ${kindLabel(d.kind)}`),
        h('span', {class: 'members', dir: 'auto'}, members.length ? ` · ${members.join(', ')}` : ' · nobody yet')),
      full ? ownBrief(d) : h('p', {}, d.public_brief)));
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
      renderIfChanged(mine, [d.public_brief, d.private_brief, d.objectives, d.red_lines, assessed], () => ownBrief(d, assessed));
    }
    renderIfChanged(others, [s.delegations.map((x) => x.id), s.members], () => delegationsList(model));
  });
  return {el};
}
