// Building DOM without HTML strings. Text is only ever set through text nodes / textContent,
// so user data (names, messages, proposal titles) can never become markup.

const SVG_NS = 'http://www.w3.org/2000/svg';

// Properties set directly on the element (not as attributes).
const PROPERTIES = new Set(['value', 'checked', 'disabled', 'selected', 'hidden', 'indeterminate', 'open']);

function assertSafeName(name) {
  const lower = name.toLowerCase();
  if (lower.startsWith('on') || lower === 'style' || lower === 'innerhtml' || lower === 'outerhtml' ||
      lower === 'srcdoc') {
    throw new Error(`h(): refusing to set '${name}'`);
  }
}

function applyProps(el, props, isSvg) {
  if (!props) return;
  for (const [key, value] of Object.entries(props)) {
    if (value === undefined || value === null || value === false) continue;
    if (key === 'class') {
      const cls = Array.isArray(value) ? value.filter(Boolean).join(' ') : String(value);
      if (isSvg) el.setAttribute('class', cls); else el.className = cls;
    } else if (key === 'text') {
      el.textContent = String(value);
    } else if (key === 'on') {
      for (const [type, fn] of Object.entries(value)) if (fn) el.addEventListener(type, fn);
    } else if (key === 'dataset') {
      for (const [k, v] of Object.entries(value)) if (v !== undefined && v !== null) el.dataset[k] = String(v);
    } else if (key === 'ref') {
      value(el);
    } else if (!isSvg && PROPERTIES.has(key)) {
      el[key] = value;
    } else {
      assertSafeName(key);
      el.setAttribute(key, value === true ? '' : String(value));
    }
  }
}

function appendChildren(el, children) {
  for (const child of children) {
    if (child === undefined || child === null || child === false || child === true) continue;
    if (Array.isArray(child)) appendChildren(el, child);
    else if (child instanceof Node) el.appendChild(child);
    else el.appendChild(document.createTextNode(String(child)));
  }
}

const TYPED = new Set(['text', 'search', 'email', 'url', '']);  // inputs where people type words

/**
 * h('button', {class: 'x', on: {click}}, 'text', child, [more]) -> HTMLElement. Strings become text nodes.
 * Text fields get dir="auto" (unless told otherwise): Arabic or Hebrew typed there lays out right to left.
 */
export function h(tag, props, ...children) {
  const el = document.createElement(tag);
  if (props instanceof Node || typeof props !== 'object' || Array.isArray(props)) {
    children.unshift(props);
    props = null;
  }
  applyProps(el, props, false);
  if ((tag === 'textarea' || (tag === 'input' && TYPED.has(el.getAttribute('type') || ''))) && !el.hasAttribute('dir')) {
    el.setAttribute('dir', 'auto');
  }
  appendChildren(el, children);
  return el;
}

/** Text people wrote (a name, a message, a title), in an element of its own that finds its direction. */
export function userText(tag, props, text) {
  return h(tag, {...props, dir: 'auto'}, text);
}

/**
 * A sentence of the app's (English, left to right) with words people typed inside it (a name, a title):
 * each of `parts` found in `text` goes into a <bdi>, so an Arabic name keeps its own direction and cannot
 * turn the sentence around it ("<name> joined Ukraine" stays name first, at the left). Returns nodes for h();
 * put them in an element with dir="ltr", not dir="auto" (which would take the name's direction for the line).
 */
export function isolate(text, parts = []) {
  const words = [...new Set(parts.filter((p) => typeof p === 'string' && p.trim()))];
  const out = [];
  let at = 0;
  while (words.length) {
    let found = -1;
    let word = '';
    for (const w of words) {
      const i = text.indexOf(w, at);
      if (i >= 0 && (found < 0 || i < found || (i === found && w.length > word.length))) [found, word] = [i, w];
    }
    if (found < 0) break;
    if (found > at) out.push(text.slice(at, found));
    out.push(h('bdi', {}, word));
    at = found + word.length;
  }
  if (at < text.length) out.push(text.slice(at));
  return out;
}

/** The same for SVG elements (geometry goes in attributes, which CSP allows). */
export function svg(tag, props, ...children) {
  const el = document.createElementNS(SVG_NS, tag);
  applyProps(el, props, true);
  appendChildren(el, children);
  return el;
}

/** Replace the children of `container`, keeping keyboard focus on the element with the same data-key. */
export function replace(container, ...children) {
  const active = document.activeElement;
  const key = active && container.contains(active) ? active.dataset?.key : null;
  container.replaceChildren();
  appendChildren(container, children);
  if (key) {
    const again = container.querySelector(`[data-key="${CSS.escape(key)}"]`);
    if (again) again.focus({preventScroll: true});
  }
}

/**
 * Give the keyboard focus back after a control lost it (a button disabled while its command was on its way,
 * then rebuilt, or gone): to the first of `targets` (elements, or data-key values looked up in the page)
 * that is there, shown and enabled. Nothing moves if the reader has put the focus somewhere else meanwhile.
 */
export function refocus(...targets) {
  const active = document.activeElement;
  if (active && active !== document.body && active.isConnected && !active.disabled) return false;
  for (const target of targets) {
    const el = typeof target === 'string' ? document.querySelector(`[data-key="${CSS.escape(target)}"]`) : target;
    if (el?.isConnected && !el.disabled && el.getClientRects().length) {
      el.focus({preventScroll: false});
      return true;
    }
  }
  return false;
}

/** Resolves to what `find()` returns once it is neither null nor undefined (asked at each animation frame), or to
 *  null after `ms`: for the element a state update is about to render. */
export function eventually(find, ms = 2000) {
  const deadline = performance.now() + ms;
  return new Promise((resolve) => {
    const ask = () => {
      const found = find();
      if (found !== null && found !== undefined) resolve(found);
      else if (performance.now() > deadline) resolve(null);
      else requestAnimationFrame(ask);
    };
    ask();
  });
}

/** Call `render()` into `container` only when `signature` changed since the last call (no flicker, no lost focus). */
export function renderIfChanged(container, signature, render) {
  const sig = typeof signature === 'string' ? signature : JSON.stringify(signature);
  if (container.__sig === sig) return false;
  container.__sig = sig;
  replace(container, render());
  return true;
}

/** A labelled form field: label + control (+ optional hint). */
export function field(labelText, control, hint) {
  const id = control.id || (control.id = uid('f'));
  const hintEl = hint ? h('small', {class: 'hint', id: `${id}-hint`}, hint) : null;
  if (hintEl) control.setAttribute('aria-describedby', hintEl.id);
  return h('div', {class: 'field'}, h('label', {for: id}, labelText), control, hintEl);
}

let counter = 0;
export function uid(prefix = 'id') {
  counter += 1;
  return `${prefix}-${counter}`;
}

/** A visually hidden text (read by screen readers). */
export function srOnly(text) {
  return h('span', {class: 'sr-only'}, text);
}

/** Set a CSS custom property or style through the CSSOM (allowed under style-src 'self'). */
export function setStyle(el, prop, value) {
  el.style.setProperty(prop, value);
}
