// One live session with an exercise: the model and the connection wired together.

import {Connection} from './socket.js';
import {ExerciseModel} from './store.js';

/**
 * @param {object} o
 * @param {string} o.exerciseId
 * @param {string} o.token
 * @param {string} [o.acting]  a delegation exercise control plays (nobody plays it)
 * @param {string} o.viewerKey  who is looking (participant id, 'umpire', 'observer'): scopes read counts and drafts
 * @param {(status: string, detail: object) => void} o.onStatus
 */
export function openSession({exerciseId, token, acting, viewerKey, onStatus}) {
  const model = new ExerciseModel({exerciseId, token, viewerKey});
  const conn = new Connection({
    token,
    acting,
    scope: `${exerciseId}:${viewerKey}`,
    onResent: (ack, payload) => model.emit('resent', {ack, payload}),
    onSync: (sync, info) => model.applySync(sync, info),
    onUpdate: (update, history) => model.applyUpdate(update, history),
    onStatus: (status, detail) => {
      model.emit('status', {status, detail});
      onStatus?.(status, detail);
    },
  });
  model.conn = conn;
  window.addEventListener('pagehide', () => conn.stop());
  return {model, conn, start: () => conn.start()};
}

/** The fragment (#a=1&b=2) as URLSearchParams: secrets ride there, never sent to the server. */
export function fragment() {
  return new URLSearchParams(location.hash.replace(/^#/, ''));
}

/** Keep `key` (a tab, a channel) in the page's fragment, without a reload: a reload, or the link shared,
 * comes back to the same place. An empty value removes it. */
export function rememberInFragment(key, value) {
  const params = fragment();
  if (value) params.set(key, value); else params.delete(key);
  history.replaceState(null, '', `${location.pathname}#${params}`);
}
