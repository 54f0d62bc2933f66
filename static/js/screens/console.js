// The console every participant role shares: header, tabs, chat beside them, banners for what
// happens live. Each role chooses its tabs; the wiring (session, first sync, history) is here.

import {h, replace} from '../lib/dom.js';
import {fragment, openSession, rememberInFragment} from '../lib/session.js';
import {STATUS} from '../lib/socket.js';
import {describeEvent} from '../lib/format.js';
import {exerciseHeader} from '../components/header.js';
import {banner, consoleShell} from '../components/shell.js';
import {chatPanel} from '../components/chat.js';
import {timelinePanel} from '../components/timeline.js';
import {replayLink} from '../components/replay-link.js';
import {reportLinks} from '../components/report-link.js';

const BANNER_TYPES = new Set(['inject_fired', 'phase_advanced', 'exercise_ended', 'agreement_entered_into_force',
                              'ceasefire_began', 'ceasefire_incident', 'ceasefire_collapsed']);
// Notices about the room, each for the viewers it is news to (roomNotice).
const ROOM_NOTICES = new Set(['announcement_made', 'channel_opened_or_closed', 'backchannel_policy_set', 'backchannel_opened',
                              'backchannel_request_answered', 'participant_muted']);

/**
 * @param {HTMLElement} root
 * @param {object} o
 * @param {string} o.exerciseId
 * @param {string} o.token
 * @param {string} [o.acting]  a delegation exercise control plays with its own token (see play.js)
 * @param {'delegation'|'umpire'|'observer'} o.role
 * @param {string} o.viewerKey
 * @param {(ctx) => {id, label, panel}[]} o.tabs  built once the model and connection exist
 * @param {(info) => HTMLElement} [o.onRefused]
 */
export function mountConsole(root, {exerciseId, token, acting, role, viewerKey, tabs, onRefused}) {
  const {model, conn, start} = openSession({exerciseId, token, acting, viewerKey});
  const header = exerciseHeader(model, {role});
  // The replay: once the exercise has ended (exercise control: at any time, in a tab of its own).
  const replay = replayLink(model, {role, code: role === 'observer' ? token : null});
  // rel=opener: the new tab gets a copy of this tab's session storage, where an umpire token kept for this tab
  // only lives (same origin: nothing is opened to another site).
  if (role === 'umpire') Object.assign(replay.el, {target: '_blank', rel: 'opener'});
  header.el.querySelector('.topbar-side').prepend(replay.el);
  // The after-action report, beside it: the same perspective, the same moment it is offered.
  replay.el.after(reportLinks(model, {role}).el);
  let shell = null;

  const chat = chatPanel({model, conn, role, isVisible: () => shell?.isVisible('chat'),
                          onUnread: (n) => shell?.setBadge('chat', n)});
  const timeline = timelinePanel({model});
  const ctx = {model, conn, role};
  const work = tabs(ctx);
  shell = consoleShell({
    header: header.el,
    className: `console--${role}`,
    tabs: [...work, {id: 'timeline', label: 'Timeline', panel: timeline.el}],
    aside: {id: 'chat', label: 'Channels', panel: chat.el},
    initial: fragment().get('tab'),  // a reload, or a shared link, opens the tab it was on
    onSelect: (id) => rememberInFragment('tab', id),
  });
  shell.onVisibility((ids) => {
    if (ids.has('chat')) chat.shown();
    if (ids.has('timeline')) timeline.shown();
  });

  const waiting = h('p', {class: 'console-waiting'}, 'Connecting to the exercise…');
  replace(root, header.el, waiting);
  root.classList.remove('loading');

  model.on('status', ({status, detail}) => {
    header.status.set(status, detail);
    if (status === STATUS.REFUSED) {
      conn.stop();
      replace(root, refusedView(detail.message, onRefused));
    }
  });
  model.on('state', ({first}) => {
    header.update();
    if (first) {
      shell.el.prepend(header.el);  // it stood alone while connecting
      replace(root, shell.el);
      chat.start();
      timeline.start();
    }
  });
  model.on('event', ({event, history}) => {
    if (history) return;
    if (ROOM_NOTICES.has(event.type)) {
      const notice = roomNotice(event, model, role);
      if (notice) banner(shell.banners, notice);
      return;
    }
    if (!BANNER_TYPES.has(event.type)) return;
    const info = describeEvent(event, model);
    if (role === 'umpire' && info.kind !== 'alert') return;  // the umpire caused it: the timeline is enough
    banner(shell.banners, {title: info.title, text: info.detail, kind: info.kind});
  });
  model.on('resent', ({ack, payload}) => {  // a command the page before a reload left on its way
    if (ack.ok || ack.busy) return;
    banner(shell.banners, {title: 'Not delivered after the reload', kind: 'alert',
                           text: `${ack.error?.message || ''}${payload.text ? ` — “${payload.text}”` : ''}`});
  });
  start();
  return {model, conn, shell};
}

/**
 * Notices about the room (docs/protocol.md, "Exercise control: the room"): an announcement (on the umpire's
 * console only when another member of exercise control made it), a channel closed or reopened, the
 * back-channel policy, a back-channel someone else opened with the viewer's delegation, a refused request,
 * the viewer muted or unmuted. Null when the event is not such news for this viewer.
 */
function roomNotice(event, model, role) {
  const you = model.state?.you || {};
  const d = event.data || {};
  const title = event.summary?.title || '';
  const byYou = (event.actor?.participant ?? null) === (you.participant ?? null) && event.actor?.role === you.role;
  switch (event.type) {
    case 'announcement_made':
      if (role === 'umpire' && byYou) return null;  // the timeline is enough for its author
      return {title: title || 'Announcement', text: d.text, kind: 'announce'};
    case 'channel_opened_or_closed':
      if (role === 'umpire') return null;
      return {title, text: d.reason || null, kind: d.open ? 'inject' : 'alert'};
    case 'backchannel_policy_set':
      return role === 'umpire' ? null : {title, text: null, kind: 'inject'};
    case 'backchannel_opened': {
      if (role !== 'delegation' || !(d.delegations || []).includes(you.delegation) || byYou) return null;
      const others = d.delegations.filter((x) => x !== you.delegation).map((x) => model.delegationName(x)).join(', ');
      return {title: `Back-channel opened with ${others}`, text: 'It is in your channel list.', kind: 'agreement'};
    }
    case 'backchannel_request_answered':
      if (role !== 'delegation' || d.approved) return null;  // approved: the back-channel's own notice says so
      return {title: 'The umpire refused your back-channel request', text: null, kind: 'alert'};
    case 'participant_muted':
      if (role !== 'delegation' || d.participant !== you.participant) return null;
      return d.muted ? {title: 'The umpire muted you', text: 'You may read, not post.', kind: 'alert'}
        : {title: 'The umpire unmuted you', text: 'You may post again.', kind: 'agreement'};
    default:
      return null;
  }
}

function refusedView(message, extra) {
  return h('div', {class: 'page narrow'},
    h('section', {class: 'card card--error', role: 'alert'},
      h('h1', {}, 'This link does not open an exercise'),
      h('p', {}, message || 'The link is not (or no longer) valid. Ask the umpire for a new one.'),
      extra ? extra() : null,
      h('p', {}, h('a', {href: '/', class: 'btn'}, 'Go to the start page'))));
}

/** A page shown when there is nothing to connect with (no token in this browser). */
export function messagePage(root, {title, text, actions = []}) {
  root.classList.remove('loading');
  replace(root, h('div', {class: 'page narrow'},
    h('section', {class: 'card'}, h('h1', {}, title), h('p', {}, text), h('div', {class: 'form-actions'}, ...actions))));
}
