// The delegation console: /play#exercise=<id>, with the participant's token kept in this browser.
// A personal link (/play#exercise=<id>&token=<token>, re-issued by the umpire for a new device) keeps the
// seat in this browser, then takes the token out of the address bar. With the umpire's token kept here,
// /play#exercise=<id>&as=<delegation> lets exercise control play a delegation nobody plays.

import {h, replace} from '../lib/dom.js';
import {whoami} from '../lib/api.js';
import {fragment, rememberInFragment} from '../lib/session.js';
import {storage} from '../lib/store.js';
import {briefPanel} from '../components/brief.js';
import {proposalsPanel} from '../components/proposals.js';
import {signalsPanel} from '../components/signals.js';
import {situationPanel} from '../components/situation.js';
import {movesPanel, rollText} from '../components/moves.js';
import {banner} from '../components/shell.js';
import {messagePage, mountConsole} from './console.js';

async function takePersonalLink(root, exerciseId, token) {
  replace(root, h('p', {class: 'console-waiting'}, 'Opening your seat…'));
  try {
    const who = await whoami(token);
    if (who.role !== 'delegation' || who.exercise !== exerciseId) throw new Error('This link is not a personal link to this exercise.');
    storage.saveSession(exerciseId, {token, role: who.role, delegation: who.delegation, participant: who.participant,
                                     name: who.name});
  } catch (err) {
    messagePage(root, {title: 'This link does not open a seat', text: `${err.message} Ask the umpire for a new one.`,
                       actions: [h('a', {href: '/join', class: 'btn'}, 'Join with a code')]});
    return false;
  }
  rememberInFragment('token', null);
  return true;
}

export async function mount(root) {
  const params = fragment();
  const exerciseId = params.get('exercise');
  if (exerciseId && params.get('token') && !(await takePersonalLink(root, exerciseId, params.get('token')))) return;
  const acting = params.get('as');
  const umpireToken = exerciseId && acting ? storage.umpireToken(exerciseId) : null;
  const session = umpireToken ? {token: umpireToken, participant: `umpire-as-${acting}`, acting}
    : exerciseId ? storage.session(exerciseId) : null;
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
    acting: session.acting,
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
      if (session.acting) return h('p', {}, h('a', {href: `/umpire#exercise=${encodeURIComponent(exerciseId)}`}, 'Back to the umpire console'));
      storage.forgetSession(exerciseId);
      return h('p', {}, session.code ? h('a', {href: `/join#code=${encodeURIComponent(session.code)}`}, 'Join again with your code') : null);
    },
  });
  if (session.acting) {
    // Exercise control plays a delegation nobody plays: say so on every tab, with the way back.
    const note = h('p', {class: 'acting-note', role: 'note', 'data-testid': 'acting'});
    shell.el.insertBefore(note, shell.el.querySelector('.tabs-bar'));
    model.on('state', () => {
      note.replaceChildren('You are playing ', h('strong', {}, model.delegationName(acting)), ' for exercise control. ',
        h('a', {href: `/umpire#exercise=${encodeURIComponent(exerciseId)}`}, 'Back to the umpire console'));
    });
  } else {
    // A participant moved to another delegation comes back as it: keep the seat's record in step.
    model.on('state', () => {
      const you = model.state.you;
      if (you?.delegation && you.delegation !== session.delegation) {
        session.delegation = you.delegation;
        storage.saveSession(exerciseId, {...storage.session(exerciseId), delegation: you.delegation});
      }
    });
  }
  // A ruling on a move is news for the delegation: a notice, like an inject.
  model.on('event', ({event, history}) => {
    if (history || event.type !== 'move_adjudicated') return;
    const d = event.data || {};
    banner(shell.banners, {title: event.summary?.title || `Move #${d.move} ${d.ruling}`,
                           text: [rollText(d), d.outcome].filter(Boolean).join(' — ') || null, kind: 'inject'});
  });
}
