// The observer's console: /observe#code=<observer code>. Reads what observers may see; posts nothing.

import {h, replace} from '../lib/dom.js';
import {joinExercise} from '../lib/api.js';
import {fragment} from '../lib/session.js';
import {proposalsPanel} from '../components/proposals.js';
import {signalsPanel} from '../components/signals.js';
import {situationPanel} from '../components/situation.js';
import {messagePage, mountConsole} from './console.js';

/** Trade an observer code for the exercise id (the code itself is the token). */
export async function observerSession(code) {
  const result = await joinExercise(code);
  if (result.role !== 'observer') {
    throw new Error('This is a delegation’s join code, not an observer code.');
  }
  return {exerciseId: result.exercise, token: result.token};
}

export async function mount(root) {
  const code = fragment().get('code');
  if (!code) {
    messagePage(root, {title: 'No observer code', text: 'Open the observer link you were given.',
                       actions: [h('a', {href: '/', class: 'btn'}, 'Go to the start page')]});
    return;
  }
  replace(root, h('p', {class: 'console-waiting'}, 'Opening the observer view…'));
  let session;
  try {
    session = await observerSession(code);
  } catch (err) {
    messagePage(root, {title: 'This link does not open an exercise', text: err.message,
                       actions: [h('a', {href: '/', class: 'btn'}, 'Go to the start page')]});
    return;
  }
  mountConsole(root, {
    ...session,
    role: 'observer',
    viewerKey: 'observer',
    tabs: (ctx) => [
      {id: 'situation', label: 'Situation', panel: situationPanel(ctx.model, {role: 'observer'}).el},
      {id: 'proposals', label: 'Agreements', panel: proposalsPanel(ctx).el},
      {id: 'signals', label: 'Signals', panel: signalsPanel(ctx).el},
    ],
  });
}
