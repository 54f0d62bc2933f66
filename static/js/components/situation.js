// The state of play: phase and its brief, indicators, polls, relations, private beliefs, injects received, cease-fire,
// the deck's map.

import {h, renderIfChanged, setStyle, srOnly} from '../lib/dom.js';
import {fetchEvents} from '../lib/api.js';
import {badge, card, emptyNote} from './ui.js';
import {mapCard} from './map.js';

export function indicatorBar(ind, {big = false} = {}) {
  const span = ind.max - ind.min || 1;
  const pct = Math.max(0, Math.min(100, ((ind.value - ind.min) / span) * 100));
  const fill = h('div', {class: 'bar-fill'});
  setStyle(fill, '--pct', `${pct}%`);
  const level = pct >= 75 ? 'high' : pct >= 40 ? 'mid' : 'low';
  return h('div', {class: ['indicator', big && 'indicator--big', `indicator--${ind.id.replace(/[^a-z0-9-]/gi, '')}`],
                   dataset: {indicator: ind.id}},
    h('div', {class: 'indicator-head'},
      h('span', {class: 'indicator-name'}, ind.name),
      h('span', {class: 'indicator-value'}, String(ind.value))),
    h('div', {class: ['bar', `bar--${level}`], role: 'meter', 'aria-valuemin': ind.min, 'aria-valuemax': ind.max,
              'aria-valuenow': ind.value, 'aria-label': `${ind.name}: ${ind.value} on a scale of ${ind.min} to ${ind.max}`},
      fill),
    !big && ind.description ? h('p', {class: 'indicator-desc'}, ind.description) : null);
}

export function indicatorsView(model) {
  const el = h('div', {class: 'indicators'});
  return {
    el,
    update() {
      const inds = model.state.indicators;
      renderIfChanged(el, inds, () => (inds.length ? inds.map((i) => indicatorBar(i)) : emptyNote('No indicators are shown to you.')));
    },
  };
}

export function relationsView(model) {
  const el = h('div', {class: 'relations'});
  return {
    el,
    update() {
      const state = model.state;
      const mine = state.you?.delegation;
      const rels = state.relations;
      const ladder = state.exercise.readiness_ladder;
      renderIfChanged(el, [rels, mine], () => {
        if (!rels.length) return emptyNote('No relations are tracked for you.');
        return h('table', {class: 'data-table relations-table'},
          h('caption', {class: 'sr-only'}, 'Trust (0 to 100) and readiness to talk'),
          h('thead', {}, h('tr', {}, h('th', {scope: 'col'}, mine ? 'With' : 'Between'), h('th', {scope: 'col'}, 'Trust'),
            h('th', {scope: 'col'}, 'Readiness'))),
          h('tbody', {}, ...rels.map((r) => {
            const others = mine ? r.between.filter((d) => d !== mine) : r.between;
            const trust = h('div', {class: 'bar bar--trust', role: 'meter', 'aria-valuemin': 0, 'aria-valuemax': 100,
                                    'aria-valuenow': r.trust, 'aria-label': `Trust ${r.trust} of 100`}, h('div', {class: 'bar-fill'}));
            setStyle(trust.firstChild, '--pct', `${r.trust}%`);
            return h('tr', {dataset: {relation: r.id}},
              h('th', {scope: 'row'}, others.map((d) => model.delegationName(d)).join(' – ')),
              h('td', {}, h('div', {class: 'trust-cell'}, trust, h('span', {class: 'num'}, String(r.trust)))),
              h('td', {}, h('span', {class: 'ladder', title: ladder.join(' → ')},
                `${r.readiness_label} (${r.readiness}/${ladder.length - 1})`)));
          })));
      });
    },
  };
}

/** A 0-100 meter drawn like the trust bars, with its number beside it. */
export function meter(value, label) {
  const bar = h('div', {class: 'bar bar--trust', role: 'meter', 'aria-valuemin': 0, 'aria-valuemax': 100,
                        'aria-valuenow': value, 'aria-label': label}, h('div', {class: 'bar-fill'}));
  setStyle(bar.firstChild, '--pct', `${Math.max(0, Math.min(100, value))}%`);
  return h('div', {class: 'trust-cell'}, bar, h('span', {class: 'num'}, String(value)));
}

/** Who holds a belief and whom it is about, in words: "About Russia" for one's own, else "Ukraine about Russia". */
export function beliefWho(model, b) {
  const about = model.delegationName(b.about);
  return b.holder === model.state.you?.delegation ? `About ${about}` : `${model.delegationName(b.holder)} about ${about}`;
}

/** One belief: whom it is about, what it measures (0 to 100), its value as a meter; with `step(by)` (a button that
 *  moves it by `by`), between a −5 and a +5. */
export function beliefItem(model, b, {step = null} = {}) {
  const who = beliefWho(model, b);
  const gauge = meter(b.value, `${who}: ${b.value} of 100`);
  return h('li', {class: 'belief', dataset: {belief: b.id}},
    h('p', {class: 'belief-who'}, who),
    h('p', {class: 'belief-name', dir: 'auto'}, b.name),
    step ? h('div', {class: 'stepper belief-stepper'}, step(-5), gauge, step(5)) : gauge);
}

/** What the viewer's delegation privately believes of the others' aims (exercise control: every delegation's). */
export function beliefsView(model) {
  const el = h('div', {class: 'beliefs'});
  return {
    el,
    get empty() { return !model.state.beliefs?.length; },
    update() {
      const beliefs = model.state.beliefs || [];
      renderIfChanged(el, [beliefs, model.state.you?.delegation, model.state.delegations.map((d) => d.name)], () => (beliefs.length
        ? h('ul', {class: 'belief-list'}, ...beliefs.map((b) => beliefItem(model, b)))
        : emptyNote('No private beliefs are tracked for you.')));
    },
  };
}

/** "51 ±3 → 47 ±5 → 43 ±5": a poll's readings, oldest first, each with the margin it was published with. */
function pollTrend(p) {
  return p.readings.map((r) => `${r.value} ±${r.margin ?? p.margin}`).join(' → ');
}

/** Published readings of indicators that are hidden from some: the latest with its margin, every reading as a
 *  trend (each with its own margin), and the true value beside them where the viewer sees the indicator itself. */
export function pollsView(model) {
  const el = h('div', {class: 'polls'});
  return {
    el,
    get empty() { return !model.state.polls?.length; },
    update() {
      const polls = model.state.polls || [];
      const truths = polls.map((p) => model.state.indicators.find((i) => i.id === p.indicator)?.value ?? null);
      renderIfChanged(el, [polls, truths], () => {
        if (!polls.length) return emptyNote('No poll has been published.');
        return [
          h('p', {class: 'hint'}, 'A poll is an estimate, not the true value: the true value may differ by up to the margin (±).'),
          h('ul', {class: 'poll-list'}, ...polls.map((p, n) => {
            const latest = p.readings[p.readings.length - 1];
            const margin = latest.margin ?? p.margin;
            const earlier = p.readings.length > 1;
            return h('li', {class: 'poll', dataset: {poll: p.indicator}},
              h('div', {class: 'poll-head'},
                h('span', {class: 'poll-name'}, p.name),
                h('span', {class: 'poll-reading'}, srOnly('Latest reading: '),
                  h('span', {class: 'num poll-value'}, String(latest.value)), ' ', h('span', {class: 'num poll-margin'}, `±${margin}`))),
              h('p', {class: 'poll-meta'},
                latest.phase ? `Published in the phase “${latest.phase}”` : 'Published before the first phase',
                earlier ? [' · ', h('span', {class: 'poll-trend'}, `trend, oldest first: ${pollTrend(p)}`)] : null),
              truths[n] !== null ? h('p', {class: 'poll-truth'}, 'True value, which you see: ', h('strong', {class: 'num'}, String(truths[n])))
                : null);
          }))];
      });
    },
  };
}

export function phaseView(model) {
  const el = h('div', {class: 'phase-card'});
  return {
    el,
    update() {
      const ex = model.state.exercise;
      const asked = model.state.debrief_question;  // the question the umpire shows the room, after the end
      renderIfChanged(el, [ex.phase, ex.ended, ex.phases, asked?.index ?? null], () => {
        const steps = h('ol', {class: 'phase-steps', 'aria-label': 'Phases'}, ...ex.phases.map((p, i) => {
          const state = ex.ended || (ex.phase && i < ex.phase.index) ? 'done' : ex.phase && i === ex.phase.index ? 'current' : 'next';
          return h('li', {class: `step step--${state}`, 'aria-current': state === 'current' ? 'step' : null},
            h('span', {class: 'step-name'}, p.name), h('span', {class: 'step-min'}, `${p.minutes} min`));
        }));
        const brief = ex.ended ? (asked ? `Debrief, question ${asked.index + 1} of ${asked.count}: ${asked.question}`
          : 'The exercise has ended. Thank you: the umpire leads the debrief.')
          : ex.phase ? ex.phase.brief : 'Read your brief and talk in your delegation’s room. The umpire starts the first phase.';
        return [h('p', {class: 'phase-brief'}, brief || ''), steps];
      });
    },
  };
}

/** Injects this viewer has received, newest first, with their text (fetched if not in the timeline). */
export function injectsView(model) {
  const el = h('div', {class: 'injects-received'});
  const texts = new Map();
  const fetching = new Set();

  function textOf(seq) {
    if (texts.has(seq)) return texts.get(seq);
    const list = model.timeline;
    if (list.seqs.has(seq)) {
      const event = list.items.find((e) => e.seq === seq);
      if (event) {
        texts.set(seq, event.data.text);
        return event.data.text;
      }
    }
    if (!fetching.has(seq)) {
      fetching.add(seq);
      fetchEvents(model.exerciseId, model.token, {after: seq - 1, limit: 1}).then((page) => {
        const event = page.events.find((e) => e.seq === seq);
        if (event) {
          texts.set(seq, event.data.text);
          render(true);
        }
      }).catch(() => {});
    }
    return '';
  }

  function render(force = false) {
    const fired = model.state.injects_fired.slice().reverse();
    if (force) el.__sig = null;
    renderIfChanged(el, [fired, [...texts.keys()]], () => {
      if (!fired.length) return emptyNote('No news yet.');
      return h('ul', {class: 'inject-list'}, ...fired.map((f) => h('li', {class: 'inject-item', dataset: {seq: f.seq}},
        h('strong', {class: 'inject-title', dir: 'auto'}, f.title),
        f.to ? h('span', {class: 'tl-private'}, f.to.length === 1 && f.to[0] === model.state.you?.delegation
          ? 'only your delegation' : `to ${f.to.map((d) => model.delegationName(d)).join(', ')}`) : null,
        h('p', {class: 'inject-text', dir: 'auto'}, textOf(f.seq)))));
    });
  }

  return {el, update: () => render()};
}

export function ceasefireView(model) {
  const el = h('div', {class: 'ceasefire'});
  return {
    el,
    update() {
      const s = model.state;
      renderIfChanged(el, [s.ceasefire, s.ceasefires_collapsed], () => {
        const parts = [];
        if (s.ceasefire) {
          const p = s.proposals.find((x) => x.proposal === s.ceasefire.agreement);
          parts.push(h('p', {class: 'ceasefire-on'}, `A cease-fire holds under agreement #${s.ceasefire.agreement}`,
            p ? [' “', h('bdi', {}, p.title), '”'] : null, '.'));
        } else {
          parts.push(h('p', {class: 'ceasefire-off'}, 'No cease-fire is in force.'));
        }
        if (s.ceasefires_collapsed) parts.push(h('p', {class: 'hint'}, `Cease-fires collapsed so far: ${s.ceasefires_collapsed}.`));
        return parts;
      });
    },
  };
}

export function situationPanel(model, {role = 'delegation'} = {}) {
  const phase = phaseView(model);
  const indicators = indicatorsView(model);
  const relations = relationsView(model);
  const injects = injectsView(model);
  const ceasefire = ceasefireView(model);
  const beliefs = beliefsView(model);
  const polls = pollsView(model);
  const map = mapCard(model);  // the deck's map, when it has one
  // Cards of hidden information, shown only when there is something in them.
  const beliefsCard = card('What you believe', h('p', {class: 'hint'}, badge('your delegation only', 'private'),
    ' Your private reading of another delegation’s aims, from 0 to 100. No other delegation sees it.'),
  beliefs.el);
  const pollsCard = card('Polls', polls.el);
  beliefsCard.hidden = true;
  pollsCard.hidden = true;
  const el = h('div', {class: 'grid-2'},
    card('Phase', phase.el),
    card('News and injects', injects.el),
    card('Indicators', indicators.el),
    pollsCard,
    role === 'observer' ? null : card('Trust and readiness', relations.el),
    beliefsCard,
    card('Cease-fire', ceasefire.el),
    map.el);
  model.on('state', () => {
    phase.update();
    indicators.update();
    relations.update();
    injects.update();
    ceasefire.update();
    beliefs.update();
    polls.update();
    map.update();
    beliefsCard.hidden = beliefs.empty;
    pollsCard.hidden = polls.empty;
  });
  return {el};
}
