// The umpire console: /umpire#token=<token> (the link from creation) or /umpire#exercise=<id> once
// the token is kept in this browser. The token is taken out of the address bar, which a projected
// screen would otherwise show.

import {h, replace} from '../lib/dom.js';
import {whoami} from '../lib/api.js';
import {fragment} from '../lib/session.js';
import {storage} from '../lib/store.js';
import {controlPanel, peoplePanel, worldPanel} from '../components/umpire.js';
import {proposalsPanel} from '../components/proposals.js';
import {signalsPanel} from '../components/signals.js';
import {adjudicationPanel} from '../components/moves.js';
import {roomPanel} from '../components/room.js';
import {banner} from '../components/shell.js';
import {messagePage, mountConsole} from './console.js';

export async function mount(root) {
  const params = fragment();
  let token = params.get('token');
  let exerciseId = params.get('exercise');
  if (token) {
    replace(root, h('p', {class: 'console-waiting'}, 'Opening the umpire console…'));
    try {
      const who = await whoami(token);
      if (who.role !== 'umpire' && who.role !== 'assistant') {
        throw Object.assign(new Error('This link is not an umpire link.'), {code: 'forbidden'});
      }
      exerciseId = who.exercise;
      // `keep=0`: the creator chose not to keep links on this computer: the token lasts as long as this tab.
      storage.saveUmpireToken(exerciseId, token, {tabOnly: params.get('keep') === '0'});
      history.replaceState(null, '', `/umpire#exercise=${encodeURIComponent(exerciseId)}`);
    } catch (err) {
      messagePage(root, {title: 'This link does not open an umpire console', text: err.message,
                         actions: [h('a', {href: '/', class: 'btn'}, 'Go to the start page')]});
      return;
    }
  } else if (exerciseId) {
    token = storage.umpireToken(exerciseId);
  }
  if (!token) {
    messagePage(root, {
      title: 'No umpire token in this browser',
      text: 'Open the umpire console link you were given when the exercise was created.',
      actions: [h('a', {href: '/', class: 'btn'}, 'Go to the start page')],
    });
    return;
  }
  let control = null;
  let adjudication = null;
  let room = null;
  const {model, shell} = mountConsole(root, {
    exerciseId,
    token,
    role: 'umpire',
    viewerKey: 'umpire',
    tabs: (ctx) => {
      control = controlPanel(ctx);
      adjudication = adjudicationPanel(ctx);
      room = roomPanel(ctx);
      return [
        {id: 'control', label: 'Control', panel: control.el},
        {id: 'adjudication', label: 'Adjudication', panel: adjudication.el},
        {id: 'room', label: 'Room', panel: room.el},
        {id: 'world', label: 'Indicators', panel: worldPanel(ctx).el},
        {id: 'people', label: 'Delegations', panel: peoplePanel(ctx).el},
        {id: 'signals', label: 'Signals', panel: signalsPanel(ctx).el},
        {id: 'proposals', label: 'Agreements', panel: proposalsPanel(ctx).el},
      ];
    },
    onRefused: () => {
      // Forget the token only if it is still the one refused (a new umpire link issued here replaced it).
      if (storage.umpireToken(exerciseId) === model.token) storage.saveUmpireToken(exerciseId, null);
      return null;
    },
  });

  // What waits for the umpire shows on the tabs: rows due (ask-me mode, or not yet fired) and moves to rule on.
  const counts = () => {
    if (!model.state) return;
    countBadge(shell, 'control', control.dueCount(), 'due');
    countBadge(shell, 'adjudication', adjudication.waiting(), 'waiting');
    countBadge(shell, 'room', room.pending(), 'back-channel requests waiting');
  };
  model.on('state', counts);
  setInterval(counts, 5000);
  // Rows flagged due and moves submitted are the umpire's to act on: say so wherever the umpire is looking.
  model.on('event', ({event, history}) => {
    if (!history && event.type === 'backchannel_requested') {
      banner(shell.banners, {title: event.summary?.title || 'A back-channel request', kind: 'inject',
                             text: 'Approve or refuse it in the Room tab.'});
      return;
    }
    if (history || !['inject_due', 'move_submitted'].includes(event.type)) return;
    banner(shell.banners, {title: event.summary?.title || (event.type === 'inject_due' ? 'An inject is due' : 'A move was submitted'),
                           text: event.type === 'move_submitted' ? event.data?.action : null,
                           kind: event.type === 'inject_due' ? 'alert' : 'inject'});
  });
}

/** A count on a tab, read out with what it counts ("Adjudication 2 waiting"); the tab's name keeps its visible text. */
function countBadge(shell, id, count, word) {
  shell.setBadge(id, count);
  const button = document.getElementById(`tab-${id}`);
  if (!button) return;
  button.removeAttribute('aria-label');
  const badge = button.querySelector('.tab-badge');
  if (count && badge) badge.append(h('span', {class: 'sr-only'}, ` ${word}`));
}
