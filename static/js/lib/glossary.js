// The glossary (GET /api/glossary) in the decks' texts: a term is shown with a dotted underline, as a button
// whose description is its definition. The definition shows on hover, on keyboard focus and on a press (a
// touch screen keeps it until the next press elsewhere); Escape closes it. Terms are found the server's way
// (facilitator/decks/reference_texts.py, term_pattern): a whole word or phrase, written as in the glossary but
// for its first letter, which may be either case; only the first use of each term in a text is marked.

import {h, uid} from './dom.js';

const EMPTY = {terms: [], timeline: []};
let loading = null;
let found = null;  // {pattern, byForm} once the glossary is here
let open = null;   // the term whose definition shows: {wrap, button, tip, pinned}

/** The glossary and the timeline, fetched once per page: `{terms, timeline}` (empty lists when unavailable). */
export function loadGlossary() {
  loading ??= fetch('/api/glossary', {headers: {Accept: 'application/json'}})
    .then((response) => (response.ok ? response.json() : EMPTY))
    .catch(() => EMPTY)
    .then((glossary) => {
      found = matcher(glossary.terms || []);
      return glossary;
    });
  return loading;
}

function escapeRegExp(text) {
  return text.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
}

function formKey(form) {
  return form.charAt(0).toLowerCase() + form.slice(1);
}

function matcher(terms) {
  const byForm = new Map();
  for (const term of terms) for (const form of [term.term, ...(term.aliases || [])]) byForm.set(formKey(form), term);
  if (!byForm.size) return null;
  const forms = [...byForm.keys()].sort((a, b) => b.length - a.length);
  const alternatives = forms.map((form) => {
    const first = form.charAt(0);
    const head = first.toLowerCase() === first.toUpperCase() ? escapeRegExp(first)
      : `[${first.toLowerCase()}${first.toUpperCase()}]`;
    return head + escapeRegExp(form.slice(1));
  });
  const pattern = new RegExp(`(?<![\\p{L}\\p{N}_])(?:${alternatives.join('|')})(?![\\p{L}\\p{N}_])`, 'gu');
  return {pattern, byForm};
}

/**
 * `text` in a <span> (`props` for it) where each glossary term is marked. While the glossary loads the span
 * holds the plain text, then fills itself; a page never waits for the glossary to show a card.
 */
export function termText(text, props = {}) {
  const el = h('span', props, text);
  const fill = () => { if (found) el.replaceChildren(...marked(text)); };
  if (found) fill();
  else loadGlossary().then(fill);
  return el;
}

function marked(text) {
  const nodes = [];
  const seen = new Set();
  let at = 0;
  for (const match of String(text).matchAll(found.pattern)) {
    const term = found.byForm.get(formKey(match[0]));
    if (!term || seen.has(term)) continue;
    seen.add(term);
    if (match.index > at) nodes.push(document.createTextNode(text.slice(at, match.index)));
    nodes.push(termButton(match[0], term));
    at = match.index + match[0].length;
  }
  if (at < text.length) nodes.push(document.createTextNode(text.slice(at)));
  return nodes;
}

function termButton(words, term) {
  const tipId = uid('term');
  const tip = h('span', {class: 'term-tip', role: 'tooltip', id: tipId, hidden: true},
    h('strong', {class: 'term-tip-name'}, term.term), ': ', term.definition);
  const button = h('button', {type: 'button', class: 'term', 'aria-describedby': tipId, 'aria-expanded': 'false',
                              dataset: {term: term.term}}, words);
  const wrap = h('span', {class: 'term-wrap'}, button, tip);
  const self = {wrap, button, tip, pinned: false};
  let leaving = null;
  button.addEventListener('click', (e) => {
    e.preventDefault();
    if (open === self && self.pinned) close();
    else show(self, {pinned: true});
  });
  button.addEventListener('focus', () => show(self));
  // Leaving by the keyboard closes it; a press on the definition itself (to select its words) does not.
  button.addEventListener('blur', () => setTimeout(() => {
    if (open === self && !wrap.matches(':hover') && !wrap.contains(document.activeElement)) close();
  }, 0));
  wrap.addEventListener('mouseenter', () => {
    clearTimeout(leaving);
    show(self);
  });
  // A short delay, so the pointer can move from the word onto the definition (to read or select it).
  wrap.addEventListener('mouseleave', () => {
    leaving = setTimeout(() => {
      if (open === self && !self.pinned && document.activeElement !== button) close();
    }, 200);
  });
  return wrap;
}

function show(term, {pinned = false} = {}) {
  if (open && open !== term) close();
  open = term;
  term.pinned = term.pinned || pinned;
  term.tip.hidden = false;
  term.button.setAttribute('aria-expanded', 'true');
  place(term);
}

function close() {
  if (!open) return;
  open.tip.hidden = true;
  open.pinned = false;
  open.button.setAttribute('aria-expanded', 'false');
  open = null;
}

/** Under the word (above it when there is no room below), kept inside the window. */
function place({button, tip}) {
  const margin = 8;
  const word = button.getBoundingClientRect();
  const width = Math.min(352, window.innerWidth - 2 * margin);
  tip.style.width = `${width}px`;
  const left = Math.max(margin, Math.min(word.left, window.innerWidth - width - margin));
  tip.style.left = `${left}px`;
  const height = tip.offsetHeight;
  const below = word.bottom + 4;
  tip.style.top = `${below + height > window.innerHeight - margin && word.top - height - 4 > margin
    ? word.top - height - 4 : below}px`;
}

document.addEventListener('keydown', (e) => {
  if (e.key === 'Escape' && open) close();
});
document.addEventListener('pointerdown', (e) => {
  if (open && !open.wrap.contains(e.target)) close();
});
// The definition follows its word when the page or a panel scrolls, and closes if the word leaves the view.
document.addEventListener('scroll', () => {
  if (!open) return;
  if (!open.button.isConnected) { close(); return; }
  place(open);
}, {capture: true, passive: true});
window.addEventListener('resize', () => { if (open) place(open); });

/** "Words with a dotted underline are explained in the Glossary and timeline." with its link (a new tab, so
 *  the console stays open). */
export function glossaryNote() {
  return h('p', {class: 'hint glossary-link'}, 'Words with a dotted underline are explained in the ',
    h('a', {href: '/glossary', target: '_blank', rel: 'noopener', 'data-testid': 'glossary-link'}, 'Glossary and timeline'),
    '.');
}
