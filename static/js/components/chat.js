// Channels: the list (with unread counts), the messages of one channel (virtual list, older pages
// loaded on scroll), and a composer whose draft survives incoming messages and channel switches.

import {h, refocus, renderIfChanged} from '../lib/dom.js';
import {formatClockTime} from '../lib/clock.js';
import {fragment, rememberInFragment} from '../lib/session.js';
import {storage} from '../lib/store.js';
import {VirtualList} from '../lib/virtual-list.js';
import {errorLine, roomLeft, sendCommand, showError} from './ui.js';

const KIND_ORDER = {plenary: 0, table: 1, delegation: 2, backchannel: 3, umpire: 4};

/**
 * @param {object} o
 * @param {ExerciseModel} o.model
 * @param {Connection} o.conn
 * @param {'delegation'|'umpire'|'observer'} o.role
 * @param {() => boolean} o.isVisible  whether the chat is on screen (to count messages as read)
 * @param {(total: number) => void} [o.onUnread]
 */
export function chatPanel({model, conn, role, isVisible, onUnread}) {
  const scope = `${model.exerciseId}:${model.viewerKey}`;
  const readCounts = storage.readCounts(scope);
  const drafts = storage.drafts(scope);
  let current = fragment().get('channel') || 'plenary';  // the channel a reload or a shared link was on
  let saveTimer = null;
  let revealed = null;  // the channel whose chip was last scrolled into the list's view
  // Messages sent and not yet answered (offline, or a slow network): shown at the end of their channel as
  // "waiting to send…" until the server has them, so a message never seems to vanish.
  const pending = [];
  let pendingCount = 0;

  const channelList = h('ul', {class: 'channel-list', 'aria-label': 'Channels'});
  const heading = h('h2', {class: 'chat-heading', id: 'chat-heading'}, 'Plenary');
  const subheading = h('p', {class: 'chat-sub'});

  const messages = new VirtualList({
    label: 'Messages',
    role: 'log',
    estimate: 58,
    stickToBottom: true,
    emptyText: 'No messages here yet.',
    className: 'messages',
    renderItem: (event) => (event.pending ? renderPending(event, model) : renderMessage(event, model)),
    onNearTop: () => loadOlder(),
  });

  // ---- composer ----
  const textarea = h('textarea', {id: 'composer-text', class: 'composer-text', rows: '2', 'data-limit': '2000',
                                  placeholder: 'Write a message…', 'aria-describedby': 'composer-hint'});
  const sendButton = h('button', {type: 'submit', class: 'btn btn--primary'}, 'Send');
  const composerLabel = h('label', {for: 'composer-text', class: 'composer-label'}, 'Message');
  const composerNote = h('p', {class: 'composer-note', id: 'composer-hint'}, 'Enter sends; Shift+Enter: new line.');
  const composerError = errorLine();
  const composerRoom = roomLeft(textarea);
  const composer = h('form', {class: 'composer', 'aria-labelledby': 'chat-heading'},
    h('div', {class: 'composer-top'}, composerLabel, composerRoom), h('div', {class: 'composer-row'}, textarea, sendButton),
    composerNote, composerError);

  textarea.addEventListener('input', () => {
    drafts[current] = textarea.value;
    clearTimeout(saveTimer);
    saveTimer = setTimeout(() => storage.saveDrafts(scope, drafts), 400);
  });
  textarea.addEventListener('keydown', (e) => {
    if (e.key === 'Enter' && !e.shiftKey && !e.isComposing) {
      e.preventDefault();
      composer.requestSubmit();
    }
  });
  // Sending clears the composer at once, so what is typed while the message is on its way is kept;
  // a refused message comes back into the composer, before anything typed since.
  let sending = false;
  composer.addEventListener('submit', async (e) => {
    e.preventDefault();
    const text = textarea.value.trim();
    if (!text || sending) return;
    const channel = current;
    sending = true;
    setDraft(channel, '');
    pendingCount += 1;
    const waiting = {seq: `pending-${pendingCount}`, pending: true, shown: false, data: {channel, text}};
    pending.push(waiting);
    // Offline it shows at once; online only if the answer is slow in coming (no flicker on every message).
    const reveal = () => {
      if (waiting.arrived) return;
      waiting.shown = true;
      if (channel === current) showMessages();
    };
    const timer = conn.connected ? setTimeout(reveal, 700) : (reveal(), null);
    const ack = await sendCommand(conn, 'post_message', {channel, text}, {button: sendButton, errorEl: composerError});
    clearTimeout(timer);
    pending.splice(pending.indexOf(waiting), 1);
    if (waiting.shown && channel === current) showMessages();
    sending = false;
    if (ack.ok) messages.scrollToBottom();
    else if (!ack.busy) setDraft(channel, [text, current === channel ? textarea.value : drafts[channel]].filter(Boolean).join('\n'));
    textarea.focus();
  });

  function setDraft(channel, text) {
    drafts[channel] = text;
    if (current === channel) {
      textarea.value = text;
      composerRoom.refresh();
    }
    storage.saveDrafts(scope, drafts);
  }

  // ---- back-channels ----
  const backchannel = role === 'observer' ? null : backchannelForm({model, conn, role});

  const channelsBox = h('div', {class: 'chat-channels'}, h('h2', {class: 'sr-only'}, 'Channels'), channelList, backchannel?.el);
  const el = h('div', {class: 'chat'},
    channelsBox,
    h('div', {class: 'chat-main'},
      h('div', {class: 'chat-head'}, heading, subheading),
      messages.el,
      role === 'observer' ? h('p', {class: 'composer-note'}, 'Observers read; they do not post.') : composer));

  function channels() {
    const list = (model.state?.channels || []).slice();
    list.sort((a, b) => (KIND_ORDER[a.kind] ?? 9) - (KIND_ORDER[b.kind] ?? 9));
    return list;
  }

  function unread(ch) {
    return Math.max(0, ch.count - (readCounts[ch.id] || 0));
  }

  function markRead() {
    if (!isVisible() || document.hidden) return;
    const ch = model.state?.channels?.find((c) => c.id === current);
    if (ch && readCounts[ch.id] !== ch.count) {
      readCounts[ch.id] = ch.count;
      storage.saveReadCounts(scope, readCounts);
    }
  }

  function tableOf(channelId) {
    if (!channelId.startsWith('table:')) return null;
    return model.state.tables.find((t) => t.channel === channelId) || null;
  }

  /** Why a channel is closed now, in words ('closed by the umpire', 'closed in this phase'), or '' if open. */
  function isClosed(channelId) {
    if (model.state?.room?.channels?.[channelId]?.open === false) return 'closed by the umpire';
    const table = tableOf(channelId);
    return table && !table.open ? 'closed in this phase' : '';
  }

  /** The reason exercise control gave when it closed a channel that is still closed by it, or ''. */
  function closingReason(channelId) {
    const set = model.state?.room?.channels?.[channelId];
    return set && !set.open ? set.reason || '' : '';
  }

  function renderList() {
    markRead();
    const list = channels();
    const seen = isVisible() && !document.hidden;  // the open channel counts as read only while on screen
    let total = 0;
    const sig = list.map((ch) => {
      const n = ch.id === current && seen ? 0 : unread(ch);
      total += n;
      return [ch.id, ch.name, n, isClosed(ch.id)];
    });
    onUnread?.(total);
    renderIfChanged(channelList, [sig, current], () => list.map((ch) => {
      const n = ch.id === current && seen ? 0 : unread(ch);
      const closed = isClosed(ch.id);
      return h('li', {},
        h('button', {type: 'button', class: ['channel', ch.id === current && 'is-current', `channel--${ch.kind}`],
                     'aria-current': ch.id === current ? 'true' : null, dataset: {key: `ch-${ch.id}`, channel: ch.id},
                     title: ch.name,  // the whole name, where the chip ends it with an ellipsis
                     // The visible words first ("… closed"), so the spoken name contains what the eye reads.
                     'aria-label': `${ch.name}${closed ? ` closed (${closed.replace(/^closed /, '')})` : ''}${n ? `, ${n} unread` : ''}`,
                     on: {click: () => select(ch.id)}},
          h('span', {class: 'channel-name'}, ch.name),
          closed ? h('span', {class: 'channel-closed', 'aria-hidden': 'true'}, 'closed') : null,
          n ? h('span', {class: 'unread', 'aria-hidden': 'true'}, n > 999 ? '999+' : String(n)) : null));
    }));
    if (revealed !== current) revealCurrent();
  }

  /** Scroll the channel list (only it: not the page) so the current channel's chip shows whole, e.g. after a
   *  reload on a channel low in a long list. */
  function revealCurrent() {
    const chip = channelList.querySelector('.channel.is-current');
    if (!chip || !channelsBox.clientHeight) return;  // not on screen yet (a phone's other tab)
    const c = chip.getBoundingClientRect();
    const box = channelsBox.getBoundingClientRect();
    if (c.top < box.top) channelsBox.scrollTop -= box.top - c.top + 4;
    else if (c.bottom > box.bottom) channelsBox.scrollTop += c.bottom - box.bottom + 4;
    revealed = current;
  }

  function renderHead() {
    const ch = model.state?.channels?.find((c) => c.id === current);
    heading.textContent = ch ? ch.name : model.channelName(current);
    composerLabel.textContent = `Message to ${heading.textContent}`;
    const table = tableOf(current);
    let sub = '';
    let canPost = role !== 'observer';
    let why = '';  // why this viewer may not post here now
    const byUmpire = model.state?.room?.channels?.[current]?.open === false;
    const you = model.state?.you;
    const muted = role === 'delegation' && Boolean(you?.participant) && (model.state?.room?.muted || []).includes(you.participant);
    if (model.state?.exercise?.ended) sub = 'The exercise has ended; messages can still be posted.';
    if (table) {
      const seated = [...table.delegations, ...table.mediators].map((d) => model.delegationName(d)).join(', ');
      sub = `At this table: ${seated}.`;
      if (!table.open && role !== 'umpire' && !byUmpire) {
        canPost = false;
        const phase = model.state.exercise.phase;
        sub += phase ? ` Closed in the phase “${phase.name}”.` : ' Closed until the umpire opens the first phase.';
        why = 'This table is closed in this phase: keep your draft for later.';
      }
    } else if (current.startsWith('delegation:')) {
      sub = role === 'umpire' ? 'The delegation’s own room (and you).' : 'Only your delegation (and the umpire) read this.';
    } else if (current.startsWith('backchannel:')) {
      sub = 'Only the delegations in this back-channel (and the umpire) read this.';
    } else if (current === 'plenary') {
      sub = 'Everyone, observers included, reads the plenary.';
    } else if (current === 'umpire') {
      sub = 'Only exercise control reads this.';
    }
    if (byUmpire) {
      const reason = closingReason(current);
      if (role === 'umpire') {
        sub += ' Closed by exercise control: the delegations cannot post; you still may.';
      } else if (role !== 'observer') {
        canPost = false;
        why = `Closed by the umpire${reason ? `: ${reason}` : ''}. Keep your draft for when it reopens.`;
      }
    }
    if (muted && role !== 'observer') {
      canPost = false;
      why = 'The umpire has muted you: you may read, not post.';
    }
    subheading.textContent = sub;
    sendButton.disabled = !canPost;
    composer.classList.toggle('is-closed', !canPost);
    composerNote.classList.toggle('is-blocked', Boolean(why));
    composerNote.textContent = why || 'Enter sends; Shift+Enter: new line.';
  }

  function showMessages() {
    const waiting = pending.filter((p) => p.shown && !p.arrived && p.data.channel === current);
    messages.setItems(waiting.length ? [...model.channel(current).items, ...waiting] : model.channel(current).items);
    messages.setLoading(model.channel(current).loading);
  }

  async function loadOlder() {
    const list = model.channel(current);
    if (list.loading || !list.more) return;
    messages.setLoading(true);
    try {
      await model.loadOlderChannel(current);
    } catch (err) {
      showError(composerError, err);
    } finally {
      messages.setLoading(false);
    }
  }

  function select(id) {
    if (id === current) return;
    current = id;
    rememberInFragment('channel', id === 'plenary' ? null : id);
    textarea.value = drafts[id] || '';
    composerRoom.refresh();
    showError(composerError, null);
    messages.atBottom = true;
    showMessages();
    renderList();
    renderHead();
    const list = model.channel(id);
    if (list.items.length < 40 && list.more) loadOlder();
  }

  model.on('state', () => {
    if (!model.state.channels.some((c) => c.id === current)) {
      current = 'plenary';
      rememberInFragment('channel', null);
    }
    renderList();
    renderHead();
  });
  model.on('message', ({event}) => {
    // Ours, arrived before its answer: it no longer waits.
    const you = model.state?.you?.participant;
    const mine = you && event.actor?.participant === you;
    const arrived = mine && pending.find((p) => !p.arrived && p.data.channel === event.data.channel && p.data.text === event.data.text);
    if (arrived) arrived.arrived = true;
    if (event.data.channel === current) showMessages();
    renderList();
  });
  model.on('event', ({event}) => {
    if (event.type === 'channel_opened_or_closed' && model.state) renderHead();
  });
  model.on('history', ({channel}) => {
    if (channel === current || channel === null) showMessages();
  });
  document.addEventListener('visibilitychange', renderList);

  textarea.value = drafts[current] || '';
  composerRoom.refresh();
  return {
    el,
    start() {
      renderList();
      renderHead();
      showMessages();
      loadOlder();
    },
    shown() {
      renderList();
      revealCurrent();
      messages.scrollToBottom();
    },
    select,
    get current() {
      return current;
    },
  };
}

export function renderMessage(event, model) {
  const d = event.data;
  const you = model.state?.you;
  const mine = you && event.actor && event.actor.participant && event.actor.participant === you.participant;
  const umpire = event.actor?.role === 'umpire';
  return h('article', {class: ['msg', mine && 'msg--mine', umpire && 'msg--umpire'], dataset: {seq: event.seq}},
    h('header', {class: 'msg-head'},
      h('strong', {class: 'msg-author', dir: 'auto'}, d.author || 'Umpire'),
      d.delegation ? h('span', {class: 'msg-delegation'}, model.delegationName(d.delegation)) : null,
      h('time', {class: 'msg-time', datetime: event.at}, formatClockTime(event.at))),
    h('p', {class: 'msg-text', dir: 'auto'}, d.text));
}

/** A message on its way: the viewer's own, marked as waiting until the server has it. */
function renderPending(item, model) {
  const you = model.state?.you;
  return h('article', {class: 'msg msg--mine msg--pending', dataset: {pending: item.seq}},
    h('header', {class: 'msg-head'},
      h('strong', {class: 'msg-author', dir: 'auto'}, you?.name || 'Umpire'),
      you?.delegation ? h('span', {class: 'msg-delegation'}, model.delegationName(you.delegation)) : null,
      h('span', {class: 'msg-status'}, 'waiting to send…')),
    h('p', {class: 'msg-text', dir: 'auto'}, item.data.text));
}

function backchannelForm({model, conn, role}) {
  const boxes = h('div', {class: 'checks'});
  const button = h('button', {type: 'submit', class: 'btn btn--small'}, 'Open back-channel');
  const error = errorLine();
  // What the room's back-channel policy means for a delegation (exercise control is never bound by it).
  const policyNote = h('p', {class: 'backchannel-policy hint', id: 'backchannel-policy'});
  const fieldset = h('fieldset', {}, h('legend', {}, role === 'umpire' ? 'Delegations (two or more)' : 'With'), boxes);
  const form = h('form', {class: 'backchannel-form', 'aria-describedby': 'backchannel-policy'}, policyNote, fieldset, button, error);
  const summary = h('summary', {}, 'Open a back-channel');
  const details = h('details', {class: 'backchannel'}, summary, form);
  const sent = h('p', {class: 'backchannel-sent', role: 'status'});
  const requests = h('ul', {class: 'backchannel-requests', 'aria-label': 'Your back-channel requests'});
  const el = h('div', {class: 'backchannel-box'}, details, sent, requests);
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    const chosen = [...boxes.querySelectorAll('input:checked')].map((i) => i.value);
    if (!chosen.length) {
      showError(error, {message: 'Choose at least one delegation.'});
      return;
    }
    sent.textContent = '';
    const before = conn.lastSeq ?? 0;
    const ack = await sendCommand(conn, 'open_backchannel', {delegations: chosen}, {button, errorEl: error, done: () => {
      for (const input of boxes.querySelectorAll('input')) input.checked = false;
      details.open = false;
    }});
    // The button was busy (so lost the focus): the keyboard goes on at the new channel, or where it was.
    if (!ack.ok) {
      refocus(button);
      return;
    }
    await model.caughtUp(ack.seq);
    const ours = (type) => model.timeline.items.findLast((x) => x.seq <= ack.seq && x.seq > before && x.type === type);
    const opened = ours('backchannel_opened');
    const asked = ours('backchannel_requested');
    if (asked) sent.textContent = `Request sent to the umpire: a back-channel with ${names(asked.data)}.`;
    refocus(opened && !asked ? `ch-${opened.data.channel}` : null, summary);
  });

  const names = (r) => (r.delegations || []).filter((d) => d !== r.by).map((d) => model.delegationName(d)).join(', ');

  let phase = null;
  model.on('state', () => {
    const mine = model.state.you?.delegation;
    const others = model.state.delegations.filter((d) => d.id !== mine);
    renderIfChanged(boxes, others.map((d) => d.id), () => others.map((d) => h('label', {class: 'check'},
      h('input', {type: 'checkbox', value: d.id, name: 'backchannel-with'}), ' ', d.name)));
    const now = model.state.exercise.phase?.index ?? -1;
    if (now !== phase) showError(error, null);  // a refusal belongs to the phase it was given in
    phase = now;
    if (role === 'umpire') return;
    const policy = model.state.room?.backchannels || 'allowed';
    const closed = policy === 'closed';
    fieldset.disabled = closed;
    button.disabled = closed;
    button.textContent = policy === 'ask' ? 'Ask the umpire' : 'Open back-channel';
    summary.textContent = policy === 'ask' ? 'Ask for a back-channel' : 'Open a back-channel';
    policyNote.textContent = closed
      ? (model.state.exercise.phase ? 'Back-channels are closed now: the umpire decides when they may be opened.'
        : 'Back-channels are closed until the first phase opens.')
      : policy === 'ask' ? 'The umpire approves each back-channel: your request goes to them first.' : '';
    policyNote.hidden = !policyNote.textContent;
    const mineReqs = (model.state.room?.requests || []).filter((r) => r.answered !== true).slice(-6);
    renderIfChanged(requests, mineReqs, () => mineReqs.map((r) => h('li', {class: ['backchannel-request', r.answered === false ? 'is-refused' : 'is-waiting']},
      h('strong', {}, r.answered === false ? 'Refused: ' : 'Waiting for the umpire: '), `with ${names(r)}`)));
    requests.hidden = !mineReqs.length;
    if (sent.textContent && !mineReqs.some((r) => r.answered == null)) sent.textContent = '';
  });
  details.addEventListener('toggle', () => { if (!details.open) showError(error, null); });
  return {el};
}
