// The "Replay" link of a console: shown once the exercise has ended (to exercise control at any time). It opens
// the replay with the token this browser holds, on the viewer's own perspective: its delegation's, the public one
// for observers (whose code rides in the link, as in /observe#code=), everything for exercise control.

import {h} from '../lib/dom.js';
import {replayHref} from '../lib/replay.js';

/**
 * @param {ExerciseModel} model  the console's live model
 * @param {object} o
 * @param {'delegation'|'umpire'|'observer'} o.role
 * @param {string} [o.code]  an observer's code (its key to the replay)
 * @param {string} [o.className]
 */
export function replayLink(model, {role, code = null, className = 'btn btn--small rp-link'}) {
  const el = h('a', {class: className, href: replayHref(model.exerciseId), hidden: true, 'data-testid': 'replay-link'}, 'Replay');
  const update = () => {
    const state = model.state;
    if (!state) return;
    const own = role === 'umpire' ? 'umpire' : role === 'delegation' && state.you?.delegation ? `d:${state.you.delegation}` : 'public';
    el.href = replayHref(model.exerciseId, {as: own, code: role === 'observer' ? code : null});
    el.hidden = !(role === 'umpire' || state.exercise?.ended);
    el.title = role === 'umpire' ? 'Replay the exercise so far, from any perspective' : 'Replay the exercise as you saw it';
  };
  model.on('state', update);
  update();
  return {el, update};
}
