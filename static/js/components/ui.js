// Small shared pieces: toasts, copy buttons, two-step confirmations, command buttons with errors shown.

import {h} from '../lib/dom.js';

export function toast(message, {kind = 'info', timeout = 5000} = {}) {
  const host = document.getElementById('toasts');
  if (!host) return;
  const close = h('button', {type: 'button', class: 'toast-close', 'aria-label': 'Dismiss'}, '×');
  const el = h('div', {class: ['toast', `toast--${kind}`]}, h('span', {}, message), close);
  close.addEventListener('click', () => el.remove());
  host.appendChild(el);
  while (host.children.length > 4) host.firstElementChild.remove();
  if (timeout) setTimeout(() => el.remove(), timeout);
}

export async function copyText(text) {
  try {
    await navigator.clipboard.writeText(text);
    return true;
  } catch {
    // Older browsers or an insecure origin (plain http on a LAN): select a hidden field and copy.
    const area = h('textarea', {class: 'sr-only', 'aria-hidden': 'true', readonly: true});
    area.value = text;
    document.body.appendChild(area);
    area.select();
    let ok = false;
    try {
      ok = document.execCommand('copy');
    } catch {
      ok = false;
    }
    area.remove();
    return ok;
  }
}

/** A button that copies `text` and says so. */
export function copyButton(text, label = 'Copy', what = 'link') {
  const button = h('button', {type: 'button', class: 'btn btn--small', 'aria-label': `${label} ${what}`}, label);
  button.addEventListener('click', async () => {
    const ok = await copyText(typeof text === 'function' ? text() : text);
    button.textContent = ok ? 'Copied ✓' : 'Press Ctrl+C';
    setTimeout(() => { button.textContent = label; }, 1800);
  });
  return button;
}

/**
 * A button that asks once more before acting (no blocking browser dialogs):
 * the first press turns it into "Confirm …" for a few seconds.
 */
export function confirmButton(label, confirmLabel, action, {className = 'btn', key} = {}) {
  let armed = false;
  let timer = null;
  const button = h('button', {type: 'button', class: className, dataset: {key}}, label);
  const disarm = () => {
    armed = false;
    button.textContent = label;
    button.classList.remove('is-armed');
  };
  button.addEventListener('click', async () => {
    if (!armed) {
      armed = true;
      button.textContent = confirmLabel;
      button.classList.add('is-armed');
      clearTimeout(timer);
      timer = setTimeout(disarm, 4000);
      return;
    }
    clearTimeout(timer);
    disarm();
    await action(button);
  });
  button.addEventListener('blur', () => { if (armed) setTimeout(disarm, 200); });
  return button;
}

/** An inline error line for a form (announced to screen readers). */
export function errorLine() {
  return h('p', {class: 'form-error', role: 'alert', hidden: true});
}

export function showError(el, error) {
  if (!el) return;
  if (!error) {
    el.hidden = true;
    el.textContent = '';
    return;
  }
  el.textContent = error.message || 'Something went wrong.';
  el.hidden = false;
}

const inFlight = new WeakSet();  // buttons whose command is on its way

/**
 * Send a command and report the outcome: the button is busy meanwhile, errors go to `errorEl`
 * (or a toast). Resolves to the ack. While the button's command is on its way, a second send from the
 * same button (Enter pressed twice, a double click, key auto-repeat) is dropped: it resolves to
 * `{ok: false, busy: true}` and sends nothing.
 */
export async function sendCommand(conn, type, fields, {button, errorEl, done, handled = []} = {}) {
  if (button) {
    if (inFlight.has(button)) return {ok: false, busy: true};
    inFlight.add(button);
    button.disabled = true;
    button.setAttribute('aria-busy', 'true');
  }
  showError(errorEl, null);
  const ack = await conn.command(type, fields);
  if (button) {
    inFlight.delete(button);
    button.disabled = false;
    button.removeAttribute('aria-busy');
  }
  if (!ack.ok && handled.includes(ack.error?.code)) {
    // the caller says what this error means
  } else if (!ack.ok) {
    if (errorEl) showError(errorEl, ack.error);
    else toast(ack.error?.message || 'The command failed.', {kind: 'error', timeout: 8000});
  } else if (done) {
    done(ack);
  }
  return ack;
}

/**
 * "1,234 characters left" under a text field, kept up to date as people type. The limit is the field's
 * `data-limit`, counted the server's way (characters, not UTF-16 units, spaces at either end left out):
 * nothing is ever cut; over the limit the field says by how much and the form will not submit.
 */
export function roomLeft(field) {
  const limit = Number(field.dataset.limit);
  const note = h('span', {class: 'room-left', 'aria-live': 'polite'});
  const update = () => {
    const left = limit - charCount(field.value);
    note.textContent = left >= 0
      ? `${left.toLocaleString()} ${left === 1 ? 'character' : 'characters'} left`
      : `${(-left).toLocaleString()} ${left === -1 ? 'character' : 'characters'} over the limit of ${limit.toLocaleString()}`;
    note.classList.toggle('is-low', left >= 0 && left < limit / 10);
    note.classList.toggle('is-over', left < 0);
    field.setCustomValidity(left < 0 ? note.textContent : '');
  };
  field.addEventListener('input', update);
  note.refresh = update;
  update();
  return note;
}

/** Characters as the server counts them: code points, spaces at either end left out. */
export function charCount(text) {
  return [...String(text).trim()].length;
}

export function badge(text, kind = '') {
  return h('span', {class: ['badge', kind && `badge--${kind}`]}, text);
}

export function emptyNote(text) {
  return h('p', {class: 'empty'}, text);
}

/** A section card with a heading. */
export function card(title, ...children) {
  return h('section', {class: 'card'}, h('h2', {class: 'card-title'}, title), ...children);
}
