// The channels and the chat as they stood at the replay's seq: the channels the perspective read then (with
// how many messages each held), and the last messages of the chosen one (the replay's `history`). In a
// comparison, a channel or message only one side read is marked with that side's name.

import {h, renderIfChanged, srOnly} from '../lib/dom.js';
import {HISTORY} from '../lib/replay.js';
import {renderMessage} from './chat.js';

const KIND_ORDER = {plenary: 0, table: 1, delegation: 2, backchannel: 3, umpire: 4};

/**
 * @param {object} o
 * @param {(channel: string) => void} o.onChannel
 */
export function replayChat({onChannel}) {
  const list = h('ul', {class: 'channel-list rp-channel-list', 'aria-label': 'Channels at this moment'});
  const heading = h('h2', {class: 'chat-heading'}, 'Plenary');
  const sub = h('p', {class: 'chat-sub'});
  const messages = h('div', {class: 'vlist rp-messages', role: 'log', tabindex: '0', 'aria-label': 'Messages as they stood'});
  const el = h('div', {class: 'chat rp-chat'},
    h('div', {class: 'chat-channels'}, h('h2', {class: 'sr-only'}, 'Channels'), list),
    h('div', {class: 'chat-main'}, h('div', {class: 'chat-head'}, heading, sub), messages,
      h('p', {class: 'composer-note'}, 'The chat as it stood at this moment; a replay posts nothing.')));

  /**
   * @param {object} o
   * @param {string} o.current  the channel chosen
   * @param {{view, reply, side}[]} o.sides  one or two: the perspective's view (its model, key and label), its
   *   replay answer and, in a comparison, its part of compareViews()
   */
  function render({current, sides}) {
    const byId = new Map();
    for (const [i, s] of sides.entries()) {
      for (const ch of s.reply.state.channels || []) {
        const known = byId.get(ch.id) || {ch, readers: []};
        known.readers.push(i);
        byId.set(ch.id, known);
      }
    }
    const channels = [...byId.values()].sort((a, b) => (KIND_ORDER[a.ch.kind] ?? 9) - (KIND_ORDER[b.ch.kind] ?? 9));
    const compare = sides.length > 1;
    const onlyOf = (readers) => (compare && readers.length === 1 ? sides[readers[0]].view.label : null);
    renderIfChanged(list, [channels.map((c) => [c.ch.id, c.ch.name, c.ch.count, c.readers]), current, compare], () =>
      channels.map(({ch, readers}) => {
        const only = onlyOf(readers);
        return h('li', {}, h('button', {
          type: 'button', class: ['channel', `channel--${ch.kind}`, ch.id === current && 'is-current', only && 'rp-only'],
          'aria-current': ch.id === current ? 'true' : null, dataset: {channel: ch.id, key: `rp-ch-${ch.id}`}, title: ch.name,
          on: {click: () => onChannel(ch.id)},
        }, h('span', {class: 'channel-name'}, ch.name), ' ',
        h('span', {class: 'rp-count'}, String(ch.count), srOnly(` message${ch.count === 1 ? '' : 's'} by then`)),
        only ? [' ', h('span', {class: 'rp-badge rp-badge--only'}, `only ${only}`)] : null));
      }));

    const found = byId.get(current);
    const reader = found ? sides[found.readers[0]] : null;
    heading.textContent = found ? found.ch.name : 'Not open yet';
    const only = found ? onlyOf(found.readers) : null;
    sub.textContent = !found ? 'This channel did not exist yet, or was not read from this perspective.'
      : only ? `Only ${only} read this channel.` : '';
    const events = reader ? (reader.reply.history || []).filter((e) => e.type === 'message_posted') : [];
    const more = Boolean(reader?.reply.more);
    const onlySeqs = reader?.side?.only.messages || new Set();
    const sig = [current, events.map((e) => e.seq), more, reader?.view.key, compare && [...onlySeqs]];
    const changed = renderIfChanged(messages, sig, () => {
      if (!events.length) return h('p', {class: 'vlist-empty'}, found ? 'No messages here yet at this moment.' : '');
      return [more ? h('p', {class: 'vlist-loading'}, `Earlier messages are not shown (the last ${HISTORY} are).`) : null,
        ...events.map((e) => {
          const row = renderMessage(e, reader.view.model);
          if (compare && onlySeqs.has(String(e.seq))) {
            row.classList.add('rp-only');
            row.querySelector('.msg-head')?.append(h('span', {class: 'rp-badge rp-badge--only'}, `only ${reader.view.label}`));
          }
          return row;
        })];
    });
    if (changed) messages.scrollTop = messages.scrollHeight;
  }

  return {el, render};
}
