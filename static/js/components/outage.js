// Exercise control's notice after the server was down while the phase's clock ran (the `outage` state
// section, docs/protocol.md "The server was down"): how long, and what to do about the clock. Down for long,
// the clock was paused as of the moment the server went down: "Resume clock". Down for less, the countdown
// ran on: "Give back N s" adds what it lost (give_back_time). Participants see only the clock and "The server
// was restarted".

import {h, renderIfChanged} from '../lib/dom.js';
import {errorLine} from './ui.js';

/** 12.6 -> "12.6 s", 45 -> "45 s", 125 -> "2 min 5 s" (as the server says it). */
export function secondsWords(seconds) {
  if (seconds < 60) return `${Math.round(seconds * 10) / 10} s`;
  const whole = Math.round(seconds);
  const minutes = Math.floor(whole / 60);
  const rest = whole % 60;
  return rest ? `${minutes} min ${rest} s` : `${minutes} min`;
}

/** `send(type, fields, {button, errorEl})`: the console's way of sending a clock command (with its seq). */
export function outageNotice({model, send}) {
  const body = h('div', {});
  const error = errorLine();
  const el = h('div', {class: 'outage-notice', hidden: true}, body, error);

  function update() {
    const outage = model.state.outage;
    const ex = model.state.exercise;
    el.hidden = !outage || ex.ended;
    if (el.hidden) {
      renderIfChanged(body, 'none', () => []);
      return;
    }
    renderIfChanged(body, [outage.seq, outage.paused, outage.lost], () => {
      const down = secondsWords(outage.seconds);
      const lost = secondsWords(outage.lost);
      const buttons = [];
      let text;
      if (outage.paused) {
        text = `The server was down for ${down}. The clock was paused as of the moment it went down, so no time ` +
               'was lost: resume it when the room is back.' +
               (outage.lost > 0 ? ` ${lost} lost in an earlier outage can still be given back.` : '');
        const resume = h('button', {type: 'button', class: 'btn btn--primary', dataset: {key: 'outage-resume'}},
          'Resume clock');
        resume.addEventListener('click', () => send('resume_clock', {}, {button: resume, errorEl: error}));
        buttons.push(resume);
      } else {  // there is something to give back, or the server would not have said
        text = `The server was down for ${down}, and the clock ran on meanwhile: the phase lost ${lost}. ` +
               'Give it back, or leave the clock as it is.';
      }
      if (outage.lost > 0) {
        const give = h('button', {type: 'button', class: 'btn', dataset: {key: 'give-back'}}, `Give back ${lost}`);
        give.addEventListener('click', () => send('give_back_time', {}, {button: give, errorEl: error}));
        buttons.push(give);
      }
      return [h('p', {class: 'notice', role: 'status'}, text), h('div', {class: 'form-actions'}, ...buttons)];
    });
  }
  return {el, update};
}
