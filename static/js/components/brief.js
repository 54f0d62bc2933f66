// Briefs: your delegation's public and private brief, objectives and red lines; the others' public briefs.

import {h, renderIfChanged} from '../lib/dom.js';
import {card} from './ui.js';

function kindLabel(kind) {
  return {belligerent: 'party to the conflict', mediator: 'mediator', organization: 'organisation', ally: 'ally'}[kind] || kind;
}

export function ownBrief(d) {
  return [
    h('p', {class: 'brief-kind'}, kindLabel(d.kind)),
    h('h3', {}, 'Public brief'),
    h('p', {}, d.public_brief),
    d.private_brief ? [h('h3', {}, 'Private brief ', h('span', {class: 'badge badge--private'}, 'your delegation only')),
      h('p', {class: 'private'}, d.private_brief)] : null,
    d.objectives?.length ? [h('h3', {}, 'Objectives'), h('ul', {class: 'objectives'}, ...d.objectives.map((o) => h('li', {}, o)))] : null,
    d.red_lines?.length ? [h('h3', {}, 'Red lines'), h('ul', {class: 'red-lines'}, ...d.red_lines.map((o) => h('li', {}, o)))] : null,
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
      renderIfChanged(mine, [d.public_brief, d.private_brief, d.objectives, d.red_lines], () => ownBrief(d));
    }
    renderIfChanged(others, [s.delegations.map((x) => x.id), s.members], () => delegationsList(model));
  });
  return {el};
}
