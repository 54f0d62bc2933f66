// The moments a replay jumps to (phases, injects, signals, agreements, adjudications, bookmarks), as a list to
// click; and, for exercise control, bookmarks and notes on the moment shown (over the umpire's own socket
// connection: the `add_bookmark`, `add_note` and `remove_bookmark` commands).

import {h, renderIfChanged, uid} from '../lib/dom.js';
import {formatPlayed, KINDS} from '../lib/replay.js';
import {badge, card, confirmButton, errorLine, roomLeft, sendCommand} from './ui.js';

const KIND_WORD = {phase: 'phase', inject: 'inject', signal: 'signal', agreement: 'agreement',
                   adjudication: 'adjudication', bookmark: 'bookmark'};

/**
 * @param {object} o
 * @param {(seq: number) => void} o.onSeek
 * @param {(kind: string) => void} o.onKind
 */
export function momentsList({onSeek, onKind}) {
  const selectId = uid('mkind');
  const select = h('select', {id: selectId, class: 'select-inline', on: {change: () => onKind(select.value)}},
    ...KINDS.map((k) => h('option', {value: k.id}, k.label)));
  const list = h('ol', {class: 'rp-moments', 'aria-label': 'Moments'});
  list.addEventListener('click', (e) => {
    const button = e.target.closest('button[data-seq]');
    if (button) onSeek(Number(button.dataset.seq));
  });
  const el = h('section', {class: 'card rp-moments-card'},
    h('div', {class: 'panel-head'}, h('h2', {class: 'card-title'}, 'Moments'),
      h('div', {class: 'inline-field'}, h('label', {for: selectId}, 'Show'), select)),
    list);
  let kind = 'all';

  return {
    el,
    setKind(k) {
      kind = k;
      select.value = k;
    },
    /** @param {object[]} moments  mergeMoments(); @param {number} seq  where the replay stands; labels by key */
    render(moments, seq, labels) {
      const shown = moments.filter((m) => kind === 'all' || m.kind === kind);
      const current = shown.findLast((m) => m.seq <= seq);
      renderIfChanged(list, [shown, current?.seq, labels], () => (shown.length ? shown.map((m) => h('li', {},
        h('button', {type: 'button', class: ['rp-moment', `rp-moment--${m.kind}`, m === current && 'is-current', m.only && 'rp-only'],
                     'aria-current': m === current ? 'true' : null, dataset: {seq: m.seq, kind: m.kind, key: `rp-m-${m.seq}-${m.kind}-${m.id || ''}`}},
          h('span', {class: 'rp-moment-when num'}, formatPlayed(m.played)),
          h('span', {class: 'rp-moment-kind'}, m.type === 'note' ? 'note' : KIND_WORD[m.kind] || m.kind),
          h('span', {class: 'rp-moment-title', dir: 'auto'}, m.title),
          h('span', {class: 'rp-moment-seq num'}, `#${m.seq}`),
          m.only ? h('span', {class: 'rp-badge rp-badge--only'}, `only ${labels[m.only] || m.only}`) : null)))
        : h('li', {class: 'empty'}, kind === 'all' ? 'Nothing to jump to yet.'
          : `No ${KINDS.find((k) => k.id === kind)?.label.toLowerCase()} from this perspective.`)));
      const active = list.querySelector('.is-current');
      if (active && !list.matches(':focus-within')) active.scrollIntoView({block: 'nearest'});
    },
  };
}

/**
 * Exercise control's bookmarks and notes on the moment shown.
 * @param {object} o
 * @param {ExerciseModel} o.model  the umpire's live model (its `bookmarks` section)
 * @param {Connection} o.conn
 * @param {() => number} o.seq  the seq shown
 * @param {(seq: number) => void} o.onSeek
 */
export function bookmarksCard({model, conn, seq, onSeek}) {
  const label = h('input', {type: 'text', id: uid('bm'), 'data-limit': '120', required: true,
                            placeholder: 'e.g. Russia tests the corridor'});
  const shared = h('input', {type: 'checkbox', id: uid('bms')});
  const addButton = h('button', {type: 'submit', class: 'btn btn--primary', dataset: {key: 'rp-bookmark'}}, 'Bookmark this moment');
  const bookmarkError = errorLine();
  const bookmarkForm = h('form', {class: 'rp-bookmark-form'},
    h('div', {class: 'field'}, h('label', {for: label.id}, 'Label'), label, roomLeft(label)),
    h('label', {class: 'check', for: shared.id}, shared, ' Shared: every replay, export and report shows it'),
    h('div', {class: 'form-actions'}, addButton), bookmarkError);
  const note = h('textarea', {id: uid('note'), rows: '2', 'data-limit': '2000', required: true,
                              placeholder: 'What to raise in the debrief'});
  const noteButton = h('button', {type: 'submit', class: 'btn', dataset: {key: 'rp-note'}}, 'Add a note');
  const noteError = errorLine();
  const noteForm = h('form', {class: 'rp-note-form'},
    h('div', {class: 'field'}, h('label', {for: note.id}, 'Note (exercise control only)'), note, roomLeft(note)),
    h('div', {class: 'form-actions'}, noteButton), noteError);
  const where = h('p', {class: 'hint rp-bookmark-where'});
  const list = h('ul', {class: 'rp-bookmarks', 'aria-label': 'Bookmarks and notes'});
  const status = h('p', {class: 'hint'}, 'Connecting…');
  const el = card('Bookmarks and notes', where, bookmarkForm, noteForm, h('h3', {}, 'All bookmarks and notes'), status, list);
  el.classList.add('rp-bookmarks-card');

  bookmarkForm.addEventListener('submit', async (e) => {
    e.preventDefault();
    const text = label.value.trim();
    if (!text) return;
    const ack = await sendCommand(conn, 'add_bookmark', {at: seq(), label: text, shared: shared.checked},
      {button: addButton, errorEl: bookmarkError});
    if (ack.ok) {
      label.value = '';
      label.dispatchEvent(new Event('input'));
      shared.checked = false;
    }
  });
  noteForm.addEventListener('submit', async (e) => {
    e.preventDefault();
    const text = note.value.trim();
    if (!text) return;
    const ack = await sendCommand(conn, 'add_note', {at: seq(), text}, {button: noteButton, errorEl: noteError});
    if (ack.ok) {
      note.value = '';
      note.dispatchEvent(new Event('input'));
    }
  });

  function renderList() {
    const marks = model.state?.bookmarks || [];
    status.hidden = Boolean(model.state);
    renderIfChanged(list, marks, () => (marks.length ? marks.map((m) => {
      const error = errorLine();
      const go = h('button', {type: 'button', class: 'btn btn--small', 'aria-label': `Go to #${m.at}`, on: {click: () => onSeek(m.at)}}, `#${m.at}`);
      const remove = confirmButton('Remove', 'Confirm remove', (button) =>
        sendCommand(conn, 'remove_bookmark', {bookmark: m.id}, {button, errorEl: error}),
      {className: 'btn btn--small btn--danger', key: `rp-rm-${m.id}`});
      remove.setAttribute('aria-label', `Remove ${m.kind === 'note' ? 'note' : 'bookmark'} at #${m.at}`);
      return h('li', {class: ['rp-bookmark', `rp-bookmark--${m.kind}`], dataset: {bookmark: m.id}},
        h('div', {class: 'rp-bookmark-main'}, go,
          h('div', {class: 'rp-bookmark-text'},
            h('p', {dir: 'auto'}, m.text),
            h('p', {class: 'badges'}, badge(m.kind === 'note' ? 'note' : m.shared ? 'shared' : 'exercise control only',
              m.kind === 'note' ? 'private' : m.shared ? 'public' : ''), h('span', {class: 'muted'}, ` by ${m.by}`))),
          remove),
        error);
    }) : h('li', {class: 'empty'}, 'None yet.')));
  }

  model.on('state', renderList);
  model.on('status', ({status: s, detail}) => {
    if (s === 'refused') status.textContent = detail?.message || 'The umpire link is no longer valid.';
    status.hidden = s !== 'refused' && Boolean(model.state);
  });

  return {
    el,
    /** The moment the forms mark (the seq shown). */
    setSeq(s, played) {
      where.textContent = `At event #${s} (${formatPlayed(played)} played).`;
      addButton.textContent = `Bookmark #${s}`;
      noteButton.textContent = `Add a note on #${s}`;
      const off = s < 1;
      addButton.disabled = off;
      noteButton.disabled = off;
      if (off) where.textContent = 'Move to an event (#1 or later) to bookmark it.';
    },
  };
}
