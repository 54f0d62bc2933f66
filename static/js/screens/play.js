// The delegation console: /play#exercise=<id>, with the participant's token kept in this browser.

import {h} from '../lib/dom.js';
import {fragment} from '../lib/session.js';
import {storage} from '../lib/store.js';
import {briefPanel} from '../components/brief.js';
import {proposalsPanel} from '../components/proposals.js';
import {signalsPanel} from '../components/signals.js';
import {situationPanel} from '../components/situation.js';
import {movesPanel, rollText} from '../components/moves.js';
import {banner} from '../components/shell.js';
import {messagePage, mountConsole} from './console.js';

export function mount(root) {
  const exerciseId = fragment().get('exercise');
  const session = exerciseId ? storage.session(exerciseId) : null;
  if (!session) {
    messagePage(root, {
      title: 'You have not joined this exercise here',
      text: 'This browser holds no seat for this exercise. Open the join link you were given, or type your delegation’s code.',
      actions: [h('a', {href: '/join', class: 'btn btn--primary'}, 'Join with a code')],
    });
    return;
  }
  const {model, shell} = mountConsole(root, {
    exerciseId,
    token: session.token,
    role: 'delegation',
    viewerKey: session.participant,
    tabs: (ctx) => [
      {id: 'situation', label: 'Situation', panel: situationPanel(ctx.model).el},
      {id: 'brief', label: 'Brief', panel: briefPanel(ctx.model).el},
      {id: 'signals', label: 'Signals', panel: signalsPanel(ctx).el},
      {id: 'proposals', label: 'Proposals', panel: proposalsPanel(ctx).el},
      {id: 'moves', label: 'Moves', panel: movesPanel(ctx).el},
    ],
    onRefused: () => {
      storage.forgetSession(exerciseId);
      return h('p', {}, session.code ? h('a', {href: `/join#code=${encodeURIComponent(session.code)}`}, 'Join again with your code') : null);
    },
  });
  // A ruling on a move is news for the delegation: a notice, like an inject.
  model.on('event', ({event, history}) => {
    if (history || event.type !== 'move_adjudicated') return;
    const d = event.data || {};
    banner(shell.banners, {title: event.summary?.title || `Move #${d.move} ${d.ruling}`,
                           text: [rollText(d), d.outcome].filter(Boolean).join(' — ') || null, kind: 'inject'});
  });
}
