// Home: pick a scenario deck, create an exercise, hand out the links (with QR codes), or join one.

import {h, replace, uid} from '../lib/dom.js';
import {createExercise, listScenarios, serverInfo} from '../lib/api.js';
import {formatDateTime} from '../lib/format.js';
import {storage} from '../lib/store.js';
import {copyButton, errorLine, roomLeft, showError} from '../components/ui.js';

function qr(url, label) {
  return h('img', {class: 'qr', src: `/api/qr.svg?data=${encodeURIComponent(url)}`, alt: `QR code: ${label}`,
                   width: '132', height: '132', loading: 'lazy'});
}

/** The origin the server built a link on (its public URL when one is set), so what is shown and printed
 *  works from students' devices even when this page was opened at another address (e.g. 127.0.0.1). */
function siteOf(url) {
  try {
    return new URL(url, location.href).origin;
  } catch {
    return location.origin;
  }
}

function linkLine(url, what) {
  return h('div', {class: 'link-line'},
    h('a', {href: url, class: 'link-url', target: '_blank', rel: 'noopener'}, url),
    copyButton(url, 'Copy', what));
}

export function createdView(created, {onClose, kept = true} = {}) {
  const site = siteOf(created.delegations[0]?.url || created.umpire.url);
  const heading = h('h2', {tabindex: '-1', id: uid('created')}, 'Exercise ready: ', h('bdi', {}, created.title));
  const el = h('section', {class: 'card created', 'aria-labelledby': heading.id, 'data-testid': 'created'},
    h('div', {class: 'created-head'}, heading,
      h('div', {class: 'form-actions no-print'},
        h('button', {type: 'button', class: 'btn', on: {click: () => window.print()}}, 'Print join sheets'),
        onClose ? h('button', {type: 'button', class: 'btn btn--ghost', on: {click: onClose}}, 'Close') : null)),
    h('p', {class: 'notice no-print'}, 'Keep these links: the server keeps only fingerprints of them and cannot show them again. ' +
      (kept ? 'This browser remembers them under “Your exercises” until you forget them.'
        : 'This browser does not keep them: copy or print them before you leave this page.')),
    h('div', {class: 'created-umpire no-print'},
      h('h3', {}, 'Umpire console'),
      h('p', {class: 'hint'}, 'For you (exercise control) only: it can advance phases, fire injects and end the exercise.'),
      h('div', {class: 'form-actions'}, h('a', {href: kept ? created.umpire.url : `${created.umpire.url}&keep=0`,
        class: 'btn btn--primary', 'data-testid': 'umpire-link'},
        'Open the umpire console'), copyButton(created.umpire.url, 'Copy link', 'umpire console link'))),
    h('h3', {}, 'Delegations'),
    h('p', {class: 'hint no-print'}, `Give each delegation its link, or its code to type at ${site}/join. ` +
      'Everyone in a delegation uses the same link and picks their own name.'),
    h('ul', {class: 'join-cards'}, ...created.delegations.map((d) => h('li', {class: 'join-card', dataset: {delegation: d.id}},
      h('div', {class: 'join-card-top'},
        h('div', {class: 'join-card-text'},
          h('h4', {}, d.name),
          h('p', {class: 'code-caption'}, 'Join code'),
          h('p', {class: 'code-line'}, h('code', {class: 'code code--big', 'data-testid': `code-${d.id}`}, d.code)),
          h('p', {class: 'print-only', 'data-testid': `print-${d.id}`}, `Open ${siteOf(d.url)}/join and type the code, or scan the square.`),
          h('div', {class: 'form-actions no-print'}, copyButton(d.code, 'Copy code', `for ${d.name}`),
            copyButton(d.url, 'Copy link', `to join ${d.name}`))),
        qr(d.url, `join link for ${d.name}`)),
      h('p', {class: 'link-line'},
        h('a', {href: d.url, class: 'link-url', target: '_blank', rel: 'noopener', 'data-testid': `join-${d.id}`}, d.url))))),
    h('div', {class: 'created-public no-print'},
      h('div', {},
        h('h3', {}, 'Observers'),
        h('p', {class: 'hint'}, 'Read-only: plenary, tables, agreements, public indicators.'),
        linkLine(created.observer.url, 'observer link')),
      h('div', {},
        h('h3', {}, 'Projector'),
        h('p', {class: 'hint'}, 'For the room’s screen: phase, countdown, indicators, agreements.'),
        h('div', {class: 'link-line'},
          h('a', {href: created.observer.projector_url, class: 'link-url', target: '_blank', rel: 'noopener', 'data-testid': 'projector-link'},
            created.observer.projector_url),
          copyButton(created.observer.projector_url, 'Copy', 'projector link')))));
  return {el, heading};
}

/** Open a deck's print pack in a new tab, the instructor key typed on this page carried along: posted (the
 *  print pack answers with a pass and sends the tab on to the index), so the key is in no address, no server
 *  log and no history (facilitator/print_views.py, docs/teaching.md). */
function openPrintPack(href, key) {
  const form = h('form', {method: 'post', action: href, target: '_blank', rel: 'noopener', hidden: true},
    h('input', {type: 'hidden', name: 'key', value: key}));
  document.body.append(form);
  form.submit();
  form.remove();
}

function printPackLink(deck, instructorKey) {
  const href = `/decks/${encodeURIComponent(deck.id)}/print`;
  const link = h('a', {href, target: '_blank', rel: 'noopener', 'data-testid': `print-pack-${deck.id}`}, 'Print pack');
  link.addEventListener('click', (e) => {
    const key = instructorKey();
    if (!key || e.ctrlKey || e.metaKey || e.shiftKey || e.button !== 0) return;  // no key: the index asks for it
    e.preventDefault();
    openPrintPack(href, key);
  });
  return link;
}

function scenarioCard(deck, onCreate, instructorKey = () => '') {
  const titleInput = h('input', {type: 'text', id: uid('title'), 'data-limit': '200', placeholder: deck.title,
                                 'aria-describedby': null});
  const button = h('button', {type: 'submit', class: 'btn btn--primary', 'aria-label': `Create exercise from “${deck.title}”`},
    'Create exercise');
  const error = errorLine();
  // Delegations the deck marks optional: ticked, they are played; unticked, the exercise is made without them.
  const optional = deck.delegations.filter((d) => d.optional).map((d) => [d, h('input', {type: 'checkbox', id: uid('keep'), checked: true})]);
  const form = h('form', {class: 'create-form'},
    h('div', {class: 'field'}, h('label', {for: titleInput.id}, 'Title for your session (optional)'), titleInput,
      roomLeft(titleInput)),
    optional.length ? h('fieldset', {class: 'field optional-delegations'},
      h('legend', {}, 'Optional delegations (untick to play without)'),
      ...optional.map(([d, box]) => h('label', {class: 'check', for: box.id}, box, ` ${d.name}`))) : null,
    button, error);
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    button.disabled = true;
    button.textContent = 'Creating…';
    showError(error, null);
    try {
      await onCreate(deck, titleInput.value.trim(), optional.filter(([, box]) => !box.checked).map(([d]) => d.id));
      titleInput.value = '';
    } catch (err) {
      showError(error, err);
    } finally {
      button.disabled = false;
      button.textContent = 'Create exercise';
    }
  });
  const hours = deck.minutes >= 90 ? `${Math.floor(deck.minutes / 60)} h ${deck.minutes % 60 ? `${deck.minutes % 60} min` : ''}` : `${deck.minutes} min`;
  return h('article', {class: 'card scenario', dataset: {deck: deck.id}},
    h('h3', {class: 'scenario-title'}, deck.title),
    h('p', {class: 'scenario-meta'}, h('span', {class: 'badge'}, `${hours.trim()} of play`),
      deck.class_minutes ? h('span', {class: 'badge'}, `${deck.class_minutes} min class`) : null,
      deck.players ? h('span', {class: 'badge'}, `${deck.players[0]}–${deck.players[1]} players`) : null,
      deck.variant_of ? h('span', {class: 'badge badge--private'}, 'variant') : null,
      h('span', {class: 'badge'}, `${deck.delegations.length} delegations`),
      h('span', {class: 'badge'}, `${deck.phases.length} phases`)),
    h('p', {}, deck.summary),
    deck.audience ? h('p', {class: 'muted'}, deck.audience) : null,
    deck.learning_objectives?.length ? h('div', {class: 'learning-objectives'},
      h('h4', {}, 'Students will learn to'),
      h('ul', {}, ...deck.learning_objectives.map((text) => h('li', {}, text)))) : null,
    h('details', {},
      h('summary', {}, 'Delegations, tables and phases'),
      h('h4', {}, 'Delegations'),
      h('ul', {class: 'chips'}, ...deck.delegations.map((d) => h('li', {class: 'chip'}, d.name, h('span', {class: 'muted'}, ` · ${d.kind}${d.optional ? ' · optional' : ''}`)))),
      h('h4', {}, 'Tables'),
      h('ul', {}, ...deck.tables.map((t) => h('li', {}, t.name))),
      h('h4', {}, 'Phases'),
      h('ol', {}, ...deck.phases.map((p) => h('li', {}, `${p.name} — ${p.minutes} min`)))),
    h('p', {}, printPackLink(deck, instructorKey),
      h('span', {class: 'muted'}, ': role sheets, umpire’s packet, student handout')),
    form);
}

// The list keeps what this browser created, but never shows a secret until asked: on a shared lectern PC the
// next person sees titles only, and "Forget all" clears them (with the umpire tokens kept for each).
function recentList(onShow, onForget, onForgetAll) {
  const created = storage.created();
  if (!created.length) return null;
  return h('section', {class: 'card recent'},
    h('div', {class: 'recent-head'}, h('h2', {}, 'Your exercises (this browser)'),
      h('button', {type: 'button', class: 'btn btn--small btn--ghost', 'data-testid': 'forget-all', on: {click: onForgetAll}},
        'Forget all')),
    h('p', {class: 'hint'}, 'On a shared computer, forget them before you leave: their links open the umpire console.'),
    h('ul', {class: 'recent-list'}, ...created.map((c) => h('li', {},
      h('div', {}, h('strong', {dir: 'auto'}, c.title), h('span', {class: 'muted'}, ` · ${c.deck} · created `,
        h('time', {datetime: c.created_at}, formatDateTime(c.created_at)))),
      h('div', {class: 'form-actions'},
        h('button', {type: 'button', class: 'btn btn--small', on: {click: () => location.assign(c.umpire.url)}}, 'Umpire console'),
        h('button', {type: 'button', class: 'btn btn--small', on: {click: () => onShow(c)}}, 'Show links'),
        h('button', {type: 'button', class: 'btn btn--small btn--ghost', 'aria-label': `Forget ${c.title}`,
                     on: {click: () => onForget(c)}}, 'Forget'))))));
}

/** What creating needs on this server: the instructor key when it asks for one, and whether to keep the
 *  links in this browser. The key stays in this tab only (sessionStorage). */
const INSTRUCTOR_KEY = 'facilitator:instructor-key';

function forgetInstructorKey() {
  try { sessionStorage.removeItem(INSTRUCTOR_KEY); } catch { /* no storage */ }
}

function creationOptions(needsKey, keepLinks = true) {
  const keyInput = h('input', {type: 'password', id: uid('ikey'), autocomplete: 'off', spellcheck: 'false',
                               class: 'input-code', 'data-testid': 'instructor-key'});
  try { keyInput.value = sessionStorage.getItem(INSTRUCTOR_KEY) || ''; } catch { /* no storage */ }
  keyInput.addEventListener('change', () => {
    try { sessionStorage.setItem(INSTRUCTOR_KEY, keyInput.value.trim()); } catch { /* no storage */ }
  });
  const keep = h('input', {type: 'checkbox', id: uid('keep'), checked: keepLinks, 'data-testid': 'keep-links'});
  const el = h('div', {class: 'card creation-options'},
    needsKey ? h('div', {class: 'field'}, h('label', {for: keyInput.id}, 'Instructor key'), keyInput,
      h('p', {class: 'hint'}, 'This server asks for it to create an exercise: it was printed when the server started.')) : null,
    h('label', {class: 'check', for: keep.id}, keep, ' Keep the links of exercises I create in this browser'));
  return {el, key: () => keyInput.value.trim(), keep: () => keep.checked, clearKey: () => { keyInput.value = ''; }};
}

export async function mount(root) {
  const createdSlot = h('div', {class: 'created-slot'});
  const recentSlot = h('div', {});
  const scenarios = h('div', {class: 'scenarios', 'aria-busy': 'true'}, h('p', {}, 'Loading scenarios…'));
  const codeInput = h('input', {type: 'text', id: 'home-code', autocomplete: 'off', autocapitalize: 'characters',
                                spellcheck: 'false', placeholder: 'ABCD-EFGH', class: 'input-code'});
  const joinForm = h('form', {class: 'join-inline', action: '/join'},
    h('label', {for: 'home-code'}, 'Your code'), codeInput, h('button', {type: 'submit', class: 'btn btn--primary'}, 'Join'));
  joinForm.addEventListener('submit', (e) => {
    e.preventDefault();
    const code = codeInput.value.trim();
    location.assign(code ? `/join#code=${encodeURIComponent(code)}` : '/join');
  });

  function show(created, kept = true) {
    const view = createdView(created, {onClose: () => replace(createdSlot), kept});
    replace(createdSlot, view.el);
    view.heading.focus();
    view.el.scrollIntoView({block: 'start'});
  }
  function forget(list, everything = false) {
    const ids = new Set(list.map((c) => c.id));
    for (const id of ids) storage.saveUmpireToken(id, null);
    storage.saveCreated(storage.created().filter((x) => !ids.has(x.id)));
    if (everything) {  // a shared computer: no umpire console and no instructor key stays behind
      storage.forgetUmpireTokens();
      forgetInstructorKey();
      options.clearKey();
    }
    replace(createdSlot);
    renderRecent();
  }
  function renderRecent() {
    replace(recentSlot, recentList(show, (c) => forget([c]), () => forget(storage.created(), true)));
  }

  let options = creationOptions(false);
  const optionsSlot = h('div', {}, options.el);

  async function onCreate(deck, title, leaveOut = []) {
    const created = await createExercise(deck.id, title || undefined, options.key() || undefined, leaveOut);
    const entry = {...created, created_at: new Date().toISOString()};
    if (options.keep()) {
      storage.saveCreated([entry, ...storage.created().filter((x) => x.id !== created.id)]);
      storage.saveUmpireToken(created.id, created.umpire.token);
      renderRecent();
    }
    show(entry, options.keep());
  }

  root.classList.remove('loading');
  replace(root, h('div', {class: 'page home'},
    h('header', {class: 'hero'},
      h('div', {class: 'hero-brand'}, h('img', {src: '/static/img/icon.svg', alt: '', width: '44', height: '44'}),
        h('h1', {}, 'facilitator')),
      h('p', {class: 'lead'}, 'Negotiation exercises for a classroom or a workshop: delegations talk, signal, draft and sign; ' +
        'an umpire runs the clock and the events.')),
    h('section', {class: 'card join-box'}, h('h2', {}, 'Joining an exercise?'),
      h('p', {class: 'hint'}, 'Open the link you were given, or type your delegation’s code.'), joinForm),
    createdSlot,
    recentSlot,
    h('section', {class: 'section-scenarios'}, h('h2', {}, 'Run an exercise'),
      h('p', {class: 'hint'}, 'Choose a scenario deck. Creating an exercise gives you an umpire console and one link per delegation.'),
      optionsSlot, scenarios)));
  renderRecent();
  serverInfo().then((info) => {
    if (info.instructor_key) {
      options = creationOptions(true, options.keep());  // as the user left the box, if they already touched it
      replace(optionsSlot, options.el);
    }
  }).catch(() => { /* the create form says what is wrong if creating fails */ });

  try {
    const decks = await listScenarios();
    scenarios.removeAttribute('aria-busy');
    replace(scenarios, ...(decks.length ? decks.map((d) => scenarioCard(d, onCreate, () => options.key())) : [h('p', {}, 'No scenario decks are installed.')]));
  } catch (err) {
    const error = errorLine();
    showError(error, err);
    replace(scenarios, error);
  }
}
