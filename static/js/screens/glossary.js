// The glossary and the timeline: /glossary (#term-<name> opens at a term, #timeline at the timeline).
// Public, like the decks' texts it explains; read from GET /api/glossary.

import {h, replace} from '../lib/dom.js';
import {loadGlossary} from '../lib/glossary.js';

const MONTHS = ['January', 'February', 'March', 'April', 'May', 'June', 'July', 'August', 'September', 'October',
                'November', 'December'];

/** The page follows its own anchors (#timeline, #term-…): no reload on a change of fragment. */
export const handlesHashChange = true;

/** "2014", "September 2014", "24 February 2022". */
export function formatDate(date) {
  const [year, month, day] = String(date).split('-');
  if (!month) return year;
  const name = MONTHS[Number(month) - 1] || month;
  return day ? `${Number(day)} ${name} ${year}` : `${name} ${year}`;
}

/** The anchor of a term on this page: "term-minsk-agreements". */
export function termAnchor(term) {
  return `term-${term.toLowerCase().normalize('NFKD').replace(/[^a-z0-9]+/g, '-').replace(/^-|-$/g, '')}`;
}

function sources(list) {
  return h('p', {class: 'glossary-sources'}, `Source notes: ${list.map((s) => s.replace('#', ' #')).join(', ')}`);
}

function general(on) {
  return on ? h('span', {class: 'badge glossary-general', title: 'Draws on general knowledge, not only on the source notes'},
    'general knowledge') : null;
}

function termsList(terms) {
  if (!terms.length) return h('p', {class: 'empty'}, 'No glossary on this server.');
  const sorted = terms.slice().sort((a, b) => a.term.localeCompare(b.term, 'en', {sensitivity: 'base'}));
  return h('dl', {class: 'glossary-terms'}, ...sorted.map((t) => h('div', {class: 'glossary-term', id: termAnchor(t.term)},
    h('dt', {}, t.term, t.aliases.length ? h('span', {class: 'glossary-also'}, ` (also ${t.aliases.join(', ')})`) : null,
      general(t.general)),
    h('dd', {}, t.definition, sources(t.sources)))));
}

function timelineList(events) {
  if (!events.length) return h('p', {class: 'empty'}, 'No timeline on this server.');
  return h('ol', {class: 'timeline-list'}, ...events.map((e) => h('li', {class: 'timeline-event'},
    h('time', {datetime: e.date}, formatDate(e.date)),
    h('span', {}, e.text, general(e.general)),
    sources(e.sources))));
}

/** Fill `root` with the glossary (sorted by term) beside the timeline (oldest first); opens at the fragment's anchor. */
export async function mount(root) {
  const glossary = await loadGlossary();
  const terms = glossary.terms || [];
  const timeline = glossary.timeline || [];
  const years = timeline.length ? `, ${timeline[0].date.slice(0, 4)}–${timeline[timeline.length - 1].date.slice(0, 4)}` : '';
  document.title = 'Glossary and timeline — facilitator';
  root.classList.remove('loading');
  replace(root, h('div', {class: 'page glossary-page'},
    h('header', {class: 'hero hero--small'},
      h('a', {class: 'hero-brand', href: '/'}, h('img', {src: '/static/img/icon.svg', alt: '', width: '32', height: '32'}),
        'facilitator'),
      h('h1', {}, 'Glossary and timeline'),
      h('p', {class: 'lead'}, 'The words and names the scenario cards use, and the dated events behind them, from the ' +
        'notes on the articles the decks are built from. Where an entry adds general knowledge the notes do not give, ' +
        'it says so.')),
    h('nav', {class: 'glossary-nav', 'aria-label': 'On this page'},
      h('a', {href: '#glossary'}, `Glossary (${terms.length} terms)`), h('a', {href: '#timeline'}, `Timeline${years}`)),
    h('div', {class: 'glossary-columns'},
      h('section', {class: 'card', id: 'glossary', 'aria-labelledby': 'glossary-title'},
        h('h2', {class: 'card-title', id: 'glossary-title'}, 'Glossary'), termsList(terms)),
      h('section', {class: 'card', id: 'timeline', 'aria-labelledby': 'timeline-title', 'data-testid': 'timeline'},
        h('h2', {class: 'card-title', id: 'timeline-title'}, `Timeline${years}`), timelineList(timeline)))));
  const target = location.hash ? document.getElementById(decodeURIComponent(location.hash.slice(1))) : null;
  target?.scrollIntoView();
}
