// The bar at the top of every console: exercise, phase, countdown, who you are, connection status.

import {h, replace} from '../lib/dom.js';
import {formatDuration, onTick} from '../lib/clock.js';
import {STATUS} from '../lib/socket.js';

const STATUS_TEXT = {
  [STATUS.CONNECTING]: 'Connecting…',
  [STATUS.LIVE]: 'Live',
  [STATUS.RECONNECTING]: 'Connection lost — reconnecting…',
  [STATUS.REFUSED]: 'Link not valid',
};

export function connectionStatus() {
  const el = h('div', {class: 'conn conn--connecting', role: 'status', 'aria-live': 'polite', 'data-testid': 'connection',
                       dataset: {status: 'connecting'}},
    h('span', {class: 'conn-dot', 'aria-hidden': 'true'}), h('span', {class: 'conn-text'}, 'Connecting…'));
  let timer = null;
  return {
    el,
    set(status, detail = {}) {
      el.className = `conn conn--${status}`;
      el.dataset.status = status;
      let text = STATUS_TEXT[status] || status;
      if (status === STATUS.RECONNECTING && detail.attempt) text = `Connection lost — reconnecting (attempt ${detail.attempt})…`;
      if (status === STATUS.LIVE && detail.reconnected) {
        const n = detail.missed || 0;
        text = `Reconnected — caught up on ${n} missed event${n === 1 ? '' : 's'}`;
        el.classList.add('conn--flash');
        clearTimeout(timer);
        timer = setTimeout(() => {
          if (el.dataset.status === STATUS.LIVE) {
            el.classList.remove('conn--flash');
            el.querySelector('.conn-text').textContent = 'Live';
          }
        }, 8000);
      }
      el.querySelector('.conn-text').textContent = text;
    },
  };
}

/** The countdown for the exercise clock in `model.state`; `big` for the projector. */
export function countdown(model, {big = false} = {}) {
  const value = h('span', {class: 'countdown-value'}, '--:--');
  const label = h('span', {class: 'countdown-label'}, '');
  const el = h('div', {class: ['countdown', big && 'countdown--big'], role: 'timer', 'aria-label': 'Time left in this phase'},
    value, label);
  let last = '';
  const stop = onTick(() => {
    const state = model.state;
    if (!state) return;
    const ex = state.exercise;
    let text;
    let note = '';
    let cls = '';
    if (ex.ended) {
      text = 'Ended';
      cls = 'is-ended';
    } else if (!ex.phase) {
      text = 'Not started';
      cls = 'is-idle';
    } else {
      const left = model.clock.remaining(ex.clock);
      text = formatDuration(left);
      if (!ex.clock.running) {
        note = 'paused';
        cls = 'is-paused';
      } else if (left <= 0) {
        note = 'time is up';
        cls = 'is-over';
      } else if (left <= 60) {
        cls = 'is-urgent';
      }
    }
    const sig = `${text}|${note}|${cls}`;
    if (sig === last) return;
    last = sig;
    value.textContent = text;
    label.textContent = note;
    el.className = ['countdown', big && 'countdown--big', cls].filter(Boolean).join(' ');
  });
  return {el, stop};
}

export function exerciseHeader(model, {role} = {}) {
  const title = h('h1', {class: 'topbar-title'}, 'facilitator');
  const phase = h('div', {class: 'topbar-phase', 'data-testid': 'phase'});
  const timer = countdown(model);
  const who = h('div', {class: 'topbar-who', 'data-testid': 'identity'});
  const status = connectionStatus();
  const el = h('header', {class: 'topbar'},
    h('a', {class: 'topbar-home', href: '/', 'aria-label': 'facilitator home'}, h('img', {src: '/static/img/icon.svg', alt: '', width: '28', height: '28'})),
    h('div', {class: 'topbar-main'}, title, phase),
    timer.el,
    h('div', {class: 'topbar-side'}, who, status.el));
  const api = {
    el,
    status,
    update() {
      const state = model.state;
      if (!state) return;
      title.textContent = model.title;
      const ex = state.exercise;
      const total = ex.phases.length;
      replace(phase, ex.ended ? 'Ended'
        : ex.phase ? [h('span', {class: 'phase-step'}, `Phase ${ex.phase.index + 1} of ${total}`), ' ', h('strong', {}, ex.phase.name)]
          : h('span', {}, 'Not started — waiting for the umpire'));
      const you = state.you || {};
      who.title = role === 'delegation' ? `${you.name || ''} · ${model.delegationName(you.delegation)}` : '';
      title.title = model.title;
      if (role === 'delegation') {
        replace(who, h('span', {class: 'who-name', dir: 'auto'}, you.name || ''), h('span', {class: 'who-sep'}, ' · '),
          h('strong', {class: 'who-delegation'}, model.delegationName(you.delegation)));
      } else if (role === 'umpire') {
        // Exercise control: the umpire, or a staff seat ("Anna (assistant)"): every act is signed with this name.
        const name = you.name || 'Umpire';
        const suffix = you.role === 'assistant' && !/assistant/i.test(name) ? ' (assistant)' : '';
        who.title = `You act as ${name}${suffix}`;
        replace(who, h('span', {class: 'sr-only'}, 'You act as '), h('strong', {class: 'who-name', dir: 'auto'}, name), suffix);
      } else {
        replace(who, h('strong', {}, 'Observer'));
      }
      document.title = `${model.title} — facilitator`;
    },
  };
  model.on('summary', () => api.update());
  return api;
}
