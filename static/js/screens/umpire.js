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
import {messagePage, mountConsole} from './console.js';

export async function mount(root) {
  const params = fragment();
  let token = params.get('token');
  let exerciseId = params.get('exercise');
  if (token) {
    replace(root, h('p', {class: 'console-waiting'}, 'Opening the umpire console…'));
    try {
      const who = await whoami(token);
      if (who.role !== 'umpire') throw Object.assign(new Error('This link is not an umpire link.'), {code: 'forbidden'});
      exerciseId = who.exercise;
      storage.saveUmpireToken(exerciseId, token);
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
  mountConsole(root, {
    exerciseId,
    token,
    role: 'umpire',
    viewerKey: 'umpire',
    tabs: (ctx) => [
      {id: 'control', label: 'Control', panel: controlPanel(ctx).el},
      {id: 'world', label: 'Indicators', panel: worldPanel(ctx).el},
      {id: 'people', label: 'Delegations', panel: peoplePanel(ctx).el},
      {id: 'signals', label: 'Signals', panel: signalsPanel(ctx).el},
      {id: 'proposals', label: 'Agreements', panel: proposalsPanel(ctx).el},
    ],
    onRefused: () => {
      storage.saveUmpireToken(exerciseId, null);
      return null;
    },
  });
}
