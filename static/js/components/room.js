// Exercise control of the room (docs/protocol.md, "Exercise control: the room" and "Exercise control over
// REST"): announcements, channels and tables closed and reopened, the back-channel policy and requests,
// people (presence, silence, mute, move, remove, new links), staff seats, new codes and links, archive and
// delete. Commands go over the socket; seats and links over REST with exercise control's token.

import {h, renderIfChanged, uid} from '../lib/dom.js';
import {parseTime} from '../lib/clock.js';
import {archiveExercise, deleteExercise, moveParticipant, qrUrl, reissueLink, removeParticipant, seatStaff}
  from '../lib/api.js';
import {storage} from '../lib/store.js';
import {badge, card, confirmButton, copyButton, emptyNote, errorLine, roomLeft, sendCommand, showError, toast} from './ui.js';

/** Whether the viewer is the umpire (not an assistant): the umpire alone seats staff, issues links, archives
 *  and deletes (the server refuses the rest with `forbidden`). */
export function isChief(model) {
  return model.state?.you?.role === 'umpire';
}

const UMPIRE_ONLY = 'Only the umpire can do this: you are an assistant.';

function umpireOnlyNote() {
  return h('p', {class: 'notice notice--soft room-note'}, UMPIRE_ONLY);
}

/** A REST call from a button: busy meanwhile, errors in `errorEl`; resolves to the result or null. */
async function rest(button, errorEl, call) {
  if (button) {
    button.disabled = true;
    button.setAttribute('aria-busy', 'true');
  }
  showError(errorEl, null);
  try {
    return await call();
  } catch (err) {
    showError(errorEl, err);
    return null;
  } finally {
    if (button) {
      button.disabled = false;
      button.removeAttribute('aria-busy');
    }
  }
}

/**
 * A link or code the server shows once: the words, the address with a copy button and a QR code to scan,
 * and a button to put it away. `extra` adds lines (a projector link).
 */
export function issuedLink({title, text, url, code, extra = []}) {
  const close = h('button', {type: 'button', class: 'btn btn--small btn--ghost', 'aria-label': `Hide: ${title}`}, 'Hide');
  const el = h('div', {class: 'issued', role: 'group', 'aria-label': title},
    h('img', {class: 'qr issued-qr', src: qrUrl(url), alt: `QR code: ${title}`, width: '112', height: '112'}),
    h('div', {class: 'issued-text'},
      h('p', {class: 'issued-title'}, h('strong', {dir: 'ltr'}, title)),
      text ? h('p', {class: 'hint'}, text) : null,
      code ? h('p', {class: 'code-line'}, 'Code ', h('code', {class: 'code code--big'}, code), ' ', copyButton(code, 'Copy', `code: ${title}`)) : null,
      h('p', {class: 'link-line'}, h('a', {class: 'link-url', href: url, target: '_blank', rel: 'noopener', dir: 'ltr'}, url),
        copyButton(url, 'Copy link', `: ${title}`)),
      ...extra.map(({label, url: u}) => h('p', {class: 'link-line'}, h('span', {class: 'hint'}, label), ' ',
        h('a', {class: 'link-url', href: u, target: '_blank', rel: 'noopener', dir: 'ltr'}, u), copyButton(u, 'Copy', label))),
      h('p', {class: 'issued-foot'}, h('span', {class: 'hint'}, 'Shown once: copy it now. The old one no longer works.'), close)));
  close.addEventListener('click', () => el.remove());
  return el;
}

/** Keep the codes this browser saved at creation (the "Join links" card) in step with new ones. */
function updateCreated(exerciseId, change) {
  const list = storage.created();
  const entry = list.find((c) => c.id === exerciseId);
  if (!entry) return;
  change(entry);
  storage.saveCreated(list);
}

/** Minutes since an ISO time, on the server's clock. */
function minutesSince(model, iso) {
  const t = parseTime(iso);
  if (Number.isNaN(t)) return null;
  return Math.max(0, Math.floor((model.clock.now() - t) / 60000));
}

function activityText(model, p) {
  if (!p.last_active) return 'no activity yet';
  const m = minutesSince(model, p.last_active);
  if (m === null) return '';
  if (m < 1) return p.connected ? 'active just now' : 'last active just now';
  return p.connected ? `silent for ${m} min` : `last active ${m} min ago`;
}

// ---- announcement --------------------------------------------------------------------------------------

function announceCard({model, conn}) {
  const text = h('textarea', {id: uid('announce'), rows: '2', 'data-limit': '2000', required: true});
  const send = h('button', {type: 'submit', class: 'btn btn--primary'}, 'Announce to everyone');
  const error = errorLine();
  const form = h('form', {class: 'announce-form'},
    h('div', {class: 'field'}, h('label', {for: text.id}, 'Announcement'), text, roomLeft(text)), send, error);
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    if (!text.value.trim()) {
      showError(error, {message: 'Write the announcement first.'});
      return;
    }
    const ack = await sendCommand(conn, 'announce', {text: text.value.trim()}, {button: send, errorEl: error});
    if (ack.ok) {
      text.value = '';
      text.dispatchEvent(new Event('input'));
      toast('Announced: every console shows it as a notice.');
    }
  });
  return {el: card('Announcement', h('p', {class: 'hint'}, 'A notice on every console (delegations, observers, the projector), even after the end.'), form)};
}

// ---- channels and tables -------------------------------------------------------------------------------

/** Each channel exercise control may close: {id, name, kind, open, source (umpire | phase | default), reason}. */
function channelRows(model) {
  const s = model.state;
  const set = s.room?.channels || {};  // {channel: {open, reason}}: what exercise control set in this phase
  return s.channels.filter((ch) => ch.kind !== 'umpire').map((ch) => {
    const table = ch.kind === 'table' ? s.tables.find((t) => t.channel === ch.id) : null;
    const byUmpire = ch.id in set;
    const open = table ? table.open : byUmpire ? set[ch.id].open : true;
    return {id: ch.id, name: ch.name, kind: ch.kind, open, source: byUmpire ? 'umpire' : table ? 'phase' : 'default',
            reason: byUmpire ? set[ch.id].reason || '' : ''};
  });
}

const KIND_WORDS = {plenary: 'Plenary', table: 'Tables', delegation: 'Delegations’ rooms', backchannel: 'Back-channels'};

function channelsCard({model, conn}) {
  const reason = h('input', {type: 'text', id: uid('channel-reason'), 'data-limit': '120',
                             placeholder: 'e.g. Cooling-off period'});
  const error = errorLine();
  const list = h('div', {class: 'channel-rows'});
  const el = card('Channels and tables',
    h('p', {class: 'hint'}, 'A closed channel refuses the delegations’ posts; you may still post. A table closed here reopens ' +
      'with the next phase’s rules; other channels stay as you set them.'),
    h('div', {class: 'field'}, h('label', {for: reason.id}, 'Reason (optional, shown to the channel’s readers)'), reason),
    error, list);
  function update() {
    const rows = channelRows(model);
    renderIfChanged(list, rows, () => Object.keys(KIND_WORDS).map((kind) => {
      const group = rows.filter((r) => r.kind === kind);
      if (!group.length) return null;
      return h('section', {class: 'channel-group'}, h('h3', {}, KIND_WORDS[kind]),
        h('ul', {class: 'room-rows'}, ...group.map((r) => {
          const button = h('button', {type: 'button', class: ['btn', 'btn--small', r.open && 'btn--danger'],
                                      dataset: {key: `open-${r.id}`}, 'aria-label': `${r.open ? 'Close' : 'Reopen'} ${r.name}`},
          r.open ? 'Close' : 'Reopen');
          button.addEventListener('click', async () => {
            const ack = await sendCommand(conn, 'set_channel_open', {channel: r.id, open: !r.open, reason: reason.value.trim()},
              {button, errorEl: error});
            if (ack.ok) reason.value = '';
          });
          const source = r.source === 'umpire' ? (r.open ? 'reopened by exercise control' : 'closed by exercise control')
            : r.source === 'phase' ? (r.open ? 'open in this phase' : 'closed in this phase') : '';
          return h('li', {class: ['room-row', r.open ? 'is-open' : 'is-closed'], dataset: {channel: r.id}},
            h('div', {class: 'room-row-text'},
              h('span', {class: 'room-row-name', dir: 'auto'}, r.name), ' ',
              badge(r.open ? 'open' : 'closed', r.open ? 'ok' : 'danger'),
              source ? h('span', {class: 'hint'}, `${source}${r.reason ? ` — ${r.reason}` : ''}`) : null),
            button);
        })));
    }));
  }
  model.on('event', ({event}) => { if (event.type === 'channel_opened_or_closed' && model.state) update(); });
  return {el, update};
}

// ---- back-channels -------------------------------------------------------------------------------------

const POLICY_WORDS = {allowed: 'Allowed: delegations open back-channels freely', ask: 'Ask me: each one needs your approval',
                      closed: 'Closed: no new back-channel'};
const POLICY_BUTTONS = [['allowed', 'Allowed'], ['ask', 'Ask me'], ['closed', 'Closed'], [null, 'Follow the deck']];

function backchannelCard({model, conn}) {
  const now = h('p', {class: 'policy-now', 'data-testid': 'policy'});
  const error = errorLine();
  const buttons = POLICY_BUTTONS.map(([policy, label]) => {
    const b = h('button', {type: 'button', class: 'btn btn--small', 'aria-pressed': 'false', dataset: {policy: policy ?? 'deck'}}, label);
    b.addEventListener('click', () => sendCommand(conn, 'set_backchannel_policy', {policy}, {button: b, errorEl: error}));
    return b;
  });
  const group = h('div', {class: 'policy-buttons', role: 'group', 'aria-label': 'Back-channel policy'}, ...buttons);
  const requests = h('div', {class: 'requests', 'data-testid': 'requests'});
  const reqError = errorLine();
  const el = card('Back-channels', now, group, error, h('h3', {}, 'Requests'), reqError, requests);
  el.id = 'backchannel-requests';
  function update() {
    const room = model.state.room || {};
    const override = room.policy_override ?? null;
    now.replaceChildren('Now: ', h('strong', {}, POLICY_WORDS[room.backchannels] || room.backchannels || '—'),
      h('span', {class: 'hint'}, override ? 'Your override: it holds until you choose “Follow the deck”.'
        : model.state.exercise.phase ? 'The deck’s rule for this phase.' : 'The deck’s rule: closed until the first phase.'));
    for (const b of buttons) {
      const on = (b.dataset.policy === 'deck' ? null : b.dataset.policy) === override;
      b.setAttribute('aria-pressed', String(on));
      b.classList.toggle('is-current', on);
    }
    const all = room.requests || [];
    const names = (r) => r.delegations.filter((d) => d !== r.by).map((d) => model.delegationName(d)).join(', ');
    renderIfChanged(requests, all, () => {
      const pending = all.filter((r) => r.answered === null || r.answered === undefined);
      const answered = all.filter((r) => r.answered === true || r.answered === false).slice(-5).reverse();
      if (!all.length) return emptyNote('No request yet. Under “Ask me”, a delegation’s request waits here.');
      return [
        pending.length ? h('ul', {class: 'room-rows'}, ...pending.map((r) => {
          const text = `${model.delegationName(r.by)} asks for a back-channel with ${names(r)}`;
          const approve = h('button', {type: 'button', class: 'btn btn--small btn--primary', dataset: {key: `approve-${r.request}`},
                                       'aria-label': `Approve request #${r.request}: ${text}`}, 'Approve');
          const refuse = h('button', {type: 'button', class: 'btn btn--small', dataset: {key: `refuse-${r.request}`},
                                      'aria-label': `Refuse request #${r.request}: ${text}`}, 'Refuse');
          for (const [b, approveIt] of [[approve, true], [refuse, false]]) {
            b.addEventListener('click', () => sendCommand(conn, 'answer_backchannel_request', {request: r.request, approve: approveIt},
              {button: b, errorEl: reqError}));
          }
          return h('li', {class: 'room-row is-waiting', dataset: {request: r.request}},
            h('div', {class: 'room-row-text'}, h('span', {}, h('span', {class: 'num'}, `#${r.request}`), ' ', text)),
            h('div', {class: 'room-row-actions'}, approve, refuse));
        })) : emptyNote('Nothing waiting.'),
        answered.length ? h('ul', {class: 'answered'}, ...answered.map((r) => h('li', {},
          `#${r.request} ${model.delegationName(r.by)} with ${names(r)}: `, h('strong', {}, r.answered ? 'approved' : 'refused'))))
          : null];
    });
  }
  return {el, update, pending: () => (model.state?.room?.requests || []).filter((r) => r.answered == null).length};
}

// ---- the exercise: archive and delete -----------------------------------------------------------------

function exerciseCard({model, conn}) {
  const error = errorLine();
  const status = h('p', {class: 'exercise-status', role: 'status'});
  // After the end a join code seats nobody (a newcomer would read the delegation's private history) unless
  // the umpire lets them in, e.g. for a debrief in teams.
  const lateText = h('span', {});
  const late = h('button', {type: 'button', class: 'btn', dataset: {key: 'late-joins'}});
  const lateBox = h('div', {class: 'late-joins', hidden: true}, h('p', {class: 'hint'}, lateText), h('div', {class: 'form-actions'}, late));
  late.addEventListener('click', () => sendCommand(conn, 'allow_late_joins', {allowed: !model.state.joining?.after_end},
    {button: late, errorEl: error}));
  const archive = confirmButton('Archive the exercise', 'Confirm: end and archive', async (button) => {
    const done = await rest(button, error, () => archiveExercise(model.exerciseId, model.token));
    if (done) {
      archived = true;
      update();
    }
  }, {className: 'btn', key: 'archive'});
  const sure = h('div', {class: 'delete-box', hidden: true},
    h('p', {}, h('strong', {}, 'Delete for good? '), 'The exercise, its whole log and every link go; nobody can open it again ' +
      'and there is no undo. Archive it instead to keep the record.'));
  const deleteNow = confirmButton('Delete for good', 'Confirm: delete everything', async (button) => {
    const done = await rest(button, error, () => deleteExercise(model.exerciseId, model.token));
    if (done) {
      storage.saveUmpireToken(model.exerciseId, null);
      storage.saveCreated(storage.created().filter((c) => c.id !== model.exerciseId));
      location.assign('/');
    }
  }, {className: 'btn btn--danger', key: 'delete-now'});
  const keep = h('button', {type: 'button', class: 'btn'}, 'Keep it');
  sure.append(h('div', {class: 'form-actions'}, deleteNow, keep));
  const ask = h('button', {type: 'button', class: 'btn btn--danger', 'aria-expanded': 'false'}, 'Delete the exercise…');
  ask.addEventListener('click', () => {
    sure.hidden = false;
    ask.setAttribute('aria-expanded', 'true');
    deleteNow.focus();
  });
  keep.addEventListener('click', () => {
    sure.hidden = true;
    ask.setAttribute('aria-expanded', 'false');
    ask.focus();
  });
  const actions = h('div', {class: 'form-actions'}, archive, ask);
  const note = umpireOnlyNote();
  let archived = false;
  const el = card('The exercise',
    h('p', {class: 'hint'}, 'Archiving ends the exercise if it runs and takes it off the lists; its log stays readable. ' +
      'Deleting removes it and its log for good.'), status, lateBox, note, actions, sure, error);
  function update() {
    archived ||= Boolean(model.state.exercise.archived);
    const ended = Boolean(model.state.exercise.ended);
    status.textContent = archived ? 'Archived: the exercise has ended and left the lists. Its log stays readable here.'
      : ended ? 'The exercise has ended.' : 'The exercise is running.';
    const chief = isChief(model);
    note.hidden = chief;
    for (const b of [archive, ask, deleteNow, late]) b.disabled = !chief;
    archive.hidden = archived;
    const lateOpen = Boolean(model.state.joining?.after_end);
    lateBox.hidden = !ended || archived;
    lateText.textContent = lateOpen ? 'Join codes still seat new members (who read their delegation’s history).'
      : 'Join codes seat nobody now that the exercise has ended.';
    late.textContent = lateOpen ? 'Close joining' : 'Let people join after the end';
    if (!chief) sure.hidden = true;
  }
  model.on('event', ({event}) => { if (event.type === 'exercise_archived' && model.state) update(); });
  return {el, update};
}

/** The "Room" tab: announcements, channels, back-channels, the exercise itself. */
export function roomPanel(ctx) {
  const announce = announceCard(ctx);
  const channels = channelsCard(ctx);
  const backchannels = backchannelCard(ctx);
  const exercise = exerciseCard(ctx);
  const el = h('div', {class: 'grid-2 room-panel'},
    h('div', {class: 'stack'}, backchannels.el, announce.el, exercise.el), h('div', {class: 'stack'}, channels.el));
  ctx.model.on('state', () => {
    channels.update();
    backchannels.update();
    exercise.update();
  });
  return {el, pending: backchannels.pending};
}

// ---- people --------------------------------------------------------------------------------------------

/**
 * Who is in each delegation, connected or not, silent for how long; mute, move, remove, a new personal link;
 * a new join code per delegation; "Play for this delegation" where nobody plays it.
 */
export function peopleCard({model, conn}) {
  const body = h('div', {class: 'presence'});
  const issued = h('div', {class: 'issued-list', 'aria-live': 'polite'});
  const error = errorLine();

  function show(link) {
    issued.prepend(link);
    link.querySelector('a, button')?.focus({preventScroll: false});
  }

  async function newPersonalLink(button, p) {
    const out = await rest(button, error, () => reissueLink(model.exerciseId, model.token, 'participant', p.participant));
    if (out) show(issuedLink({title: `New personal link for ${p.name}`, url: out.url,
                              text: `Opens ${p.name}’s seat on a new device; the device holding the old link is disconnected.`}));
  }

  async function newJoinCode(button, d) {
    const out = await rest(button, error, () => reissueLink(model.exerciseId, model.token, 'delegation', d.id));
    if (!out) return;
    updateCreated(model.exerciseId, (entry) => {
      const saved = entry.delegations.find((x) => x.id === d.id);
      if (saved) Object.assign(saved, {code: out.secret, url: out.url});
    });
    show(issuedLink({title: `New join code for ${d.name}`, url: out.url, code: out.secret,
                     text: 'For newcomers; those already seated keep their seats.'}));
  }

  function personRow(p, s, chief) {
    const muted = (s.room?.muted || []).includes(p.participant);
    const key = (k) => `${k}-${p.participant}`;
    const mute = h('button', {type: 'button', class: 'btn btn--small', dataset: {key: key('mute')},
                              'aria-label': `${muted ? 'Unmute' : 'Mute'} ${p.name}`}, muted ? 'Unmute' : 'Mute');
    mute.addEventListener('click', () => sendCommand(conn, 'mute_participant', {participant: p.participant, muted: !muted},
      {button: mute, errorEl: error}));
    const others = s.delegations.filter((d) => d.id !== p.delegation);
    const where = h('select', {class: 'select-inline', 'aria-label': `Move ${p.name} to`, dataset: {key: key('where')}},
      h('option', {value: ''}, 'Move to…'), ...others.map((d) => h('option', {value: d.id}, d.name)));
    const move = h('button', {type: 'button', class: 'btn btn--small', dataset: {key: key('move')}, 'aria-label': `Move ${p.name}`}, 'Move');
    move.addEventListener('click', async () => {
      const to = where.value;
      if (!to) {
        showError(error, {message: `Choose the delegation to move ${p.name} to.`});
        where.focus();
        return;
      }
      const out = await rest(move, error, () => moveParticipant(model.exerciseId, model.token, p.participant, to));
      if (out) toast(`${p.name} moved to ${model.delegationName(to)}: their console comes back as that delegation.`);
    });
    const remove = confirmButton('Remove', `Confirm: remove ${p.name}`, async (button) => {
      const out = await rest(button, error, () => removeParticipant(model.exerciseId, model.token, p.participant));
      if (out) toast(`${p.name} was removed: their link no longer works.`);
    }, {className: 'btn btn--small btn--danger', key: key('remove')});
    const nameId = uid('person');
    remove.setAttribute('aria-describedby', nameId);  // "Remove", then "Confirm: remove <name>": read with whose row it is
    const link = h('button', {type: 'button', class: 'btn btn--small', dataset: {key: key('link')}, disabled: !chief,
                              'aria-label': `New personal link for ${p.name}`}, 'New personal link');
    link.addEventListener('click', () => newPersonalLink(link, p));
    return h('li', {class: ['person', p.connected ? 'is-online' : 'is-offline', muted && 'is-muted'], dataset: {participant: p.participant}},
      h('div', {class: 'person-head'},
        h('span', {class: 'person-who'},  // the dot stays with the name: it never wraps onto a line alone
          h('span', {class: 'dot', 'aria-hidden': 'true'}),
          h('strong', {class: 'person-name', id: nameId, dir: 'auto'}, p.name)),
        h('span', {class: 'person-state'}, p.connected ? 'connected' : 'not connected'),
        muted ? badge('muted', 'danger') : null,
        h('span', {class: 'person-activity hint', dataset: {activity: p.participant}}, activityText(model, p))),
      h('div', {class: 'person-actions'}, mute, others.length ? h('span', {class: 'move-to'}, where, move) : null, remove, link));
  }

  function update() {
    const s = model.state;
    const chief = isChief(model);
    const presence = s.presence || [];
    const shape = presence.map((p) => [p.participant, p.name, p.delegation, p.connected, p.connections]);
    renderIfChanged(body, [shape, s.room?.muted, s.delegations.map((d) => [d.id, d.name]), chief], () => h('ul', {class: 'presence-list'},
      ...s.delegations.map((d) => {
        const people = presence.filter((p) => p.delegation === d.id);
        const online = people.filter((p) => p.connected).length;
        const code = h('button', {type: 'button', class: 'btn btn--small', disabled: !chief, dataset: {key: `code-${d.id}`},
                                  'aria-label': `New join code for ${d.name}`}, 'New join code');
        code.addEventListener('click', () => newJoinCode(code, d));
        const play = people.length ? null : h('a', {class: 'btn btn--small', href: `/play#exercise=${encodeURIComponent(model.exerciseId)}&as=${encodeURIComponent(d.id)}`,
                                                    // rel=opener: the tab copies this one's session storage (a tab-only umpire token)
                                                    target: '_blank', rel: 'opener', 'aria-label': `Play for this delegation: ${d.name} (opens a new tab)`},
        'Play for this delegation');
        return h('li', {class: 'presence-delegation', dataset: {delegation: d.id}},
          h('div', {class: 'presence-head'},
            h('p', {}, h('strong', {}, d.name), h('span', {class: ['presence-count', online ? 'is-on' : 'is-off']},
              people.length ? ` ${online} of ${people.length} connected` : ' — nobody has joined yet')),
            h('div', {class: 'presence-actions'}, play, code)),
          people.length ? h('ul', {class: 'people-rows'}, ...people.map((p) => personRow(p, s, chief))) : null);
      })));
    refreshActivity();
  }

  function refreshActivity() {
    for (const p of model.state?.presence || []) {
      const span = body.querySelector(`[data-activity="${CSS.escape(p.participant)}"]`);
      const text = activityText(model, p);
      if (span && span.textContent !== text) span.textContent = text;
    }
  }
  setInterval(() => { if (model.state) refreshActivity(); }, 30000);

  const el = card('People',
    h('p', {class: 'hint'}, 'Who is connected, and who has gone quiet. A muted person reads but cannot post; a moved ' +
      'person’s console comes back as their new delegation.'),
    error, issued, body);
  el.id = 'people';
  return {el, update};
}

// ---- staff and links -----------------------------------------------------------------------------------

export function staffCard({model}) {
  const list = h('div', {});
  const name = h('input', {type: 'text', id: uid('staff-name'), 'data-limit': '60', required: true, autocomplete: 'off'});
  const roleHint = uid('staff-role-hint');
  const role = h('select', {id: uid('staff-role'), 'aria-describedby': roleHint}, h('option', {value: 'assistant'}, 'Assistant'),
    h('option', {value: 'umpire'}, 'Umpire'));
  const add = h('button', {type: 'submit', class: 'btn btn--primary'}, 'Add to exercise control');
  const error = errorLine();
  const issued = h('div', {class: 'issued-list', 'aria-live': 'polite'});
  const form = h('form', {class: 'staff-form'},
    h('div', {class: 'el-form-grid'},
      h('div', {class: 'field'}, h('label', {for: name.id}, 'Name'), name),
      h('div', {class: 'field'}, h('label', {for: role.id}, 'Role'), role)),
    h('p', {class: 'hint', id: roleHint}, 'An assistant does everything but end the exercise, seat staff, issue links, archive and delete.'),
    add, error);
  const note = umpireOnlyNote();
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    if (!name.value.trim()) {
      showError(error, {message: 'Give the staff member’s name.'});
      return;
    }
    const out = await rest(add, error, () => seatStaff(model.exerciseId, model.token, name.value.trim(), role.value));
    if (!out) return;
    name.value = '';
    issued.prepend(issuedLink({title: `Console link for ${out.name}`, url: out.url,
                               text: `${out.role === 'umpire' ? 'An umpire' : 'An assistant'}’s own console: every act is signed with this name.`}));
    issued.querySelector('a')?.focus();
  });
  const el = card('Exercise control staff', h('p', {class: 'hint'}, 'Each seat has its own console link, so the timeline says who did what.'),
    list, note, form, issued);
  el.id = 'staff';
  function update() {
    const s = model.state;
    const chief = isChief(model);
    note.hidden = chief;
    for (const c of form.querySelectorAll('input, select, button')) c.disabled = !chief;
    const you = s.you || {};
    renderIfChanged(list, [s.staff, chief, you.participant], () => h('ul', {class: 'room-rows'},
      h('li', {class: 'room-row'}, h('div', {class: 'room-row-text'}, h('strong', {}, 'Umpire'), ' ',
        h('span', {class: 'hint'}, 'the exercise’s own umpire link'), you.role === 'umpire' && !you.participant ? badge('you', 'ok') : null)),
      ...(s.staff || []).map((st) => {
        const link = h('button', {type: 'button', class: 'btn btn--small', disabled: !chief, dataset: {key: `staff-link-${st.staff}`},
                                  'aria-label': `New link for ${st.name}`}, 'New link');
        link.addEventListener('click', async () => {
          const out = await rest(link, error, () => reissueLink(model.exerciseId, model.token, 'staff', st.staff));
          if (out) issued.prepend(issuedLink({title: `New console link for ${st.name}`, url: out.url}));
        });
        return h('li', {class: 'room-row', dataset: {staff: st.staff}},
          h('div', {class: 'room-row-text'}, h('strong', {dir: 'auto'}, st.name), ' ', h('span', {class: 'hint'}, st.role),
            you.participant === st.staff ? badge('you', 'ok') : null),
          link);
      })));
  }
  return {el, update};
}

/** New observer code and umpire link (the umpire only). A new umpire link replaces the token kept here. */
export function linksCard({model, conn}) {
  const error = errorLine();
  const issued = h('div', {class: 'issued-list', 'aria-live': 'polite'});
  const observer = h('button', {type: 'button', class: 'btn btn--small'}, 'New observer code');
  observer.addEventListener('click', async () => {
    const out = await rest(observer, error, () => reissueLink(model.exerciseId, model.token, 'observer'));
    if (!out) return;
    updateCreated(model.exerciseId, (entry) => {
      entry.observer = {...entry.observer, code: out.secret, url: out.url, projector_url: out.projector_url};
    });
    issued.prepend(issuedLink({title: 'New observer code', url: out.url, code: out.secret,
                               extra: [{label: 'Projector', url: out.projector_url}],
                               text: 'Observers and the projector with the old code are refused when they reconnect.'}));
  });
  const umpire = confirmButton('New umpire link', 'Confirm: replace the umpire link', async (button) => {
    const out = await rest(button, error, () => reissueLink(model.exerciseId, model.token, 'umpire'));
    if (!out) return;
    // This console holds the old token: keep the new one here, and reconnect with it from now on.
    storage.saveUmpireToken(model.exerciseId, out.secret);
    updateCreated(model.exerciseId, (entry) => { entry.umpire = {...entry.umpire, token: out.secret, url: out.url}; });
    model.token = out.secret;
    conn.token = out.secret;
    if (conn.socket) conn.socket.auth = conn.acting ? {token: out.secret, as: conn.acting} : {token: out.secret};
    issued.prepend(issuedLink({title: 'New umpire link', url: out.url,
                               text: 'This browser already uses it. Anyone holding the old link is refused when they reconnect.'}));
  }, {className: 'btn btn--small', key: 'new-umpire-link'});
  const note = umpireOnlyNote();
  const el = card('Codes and links',
    h('p', {class: 'hint'}, 'A lost or leaked code? Issue a new one: the old one stops working at once. Join codes and personal links are with each delegation above.'),
    note, h('div', {class: 'form-actions'}, observer, umpire), error, issued);
  return {
    el,
    update() {
      const chief = isChief(model);
      note.hidden = chief;
      observer.disabled = !chief;
      umpire.disabled = !chief;
    },
  };
}

