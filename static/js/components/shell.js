// The console layout shared by the delegation, umpire and observer screens: a header, tabs for the
// work areas, and the channels beside them on wide screens (a tab of their own on a phone).

import {h} from '../lib/dom.js';

const WIDE = window.matchMedia('(min-width: 960px)');

/**
 * @param {object} o
 * @param {HTMLElement} o.header
 * @param {{id: string, label: string, panel: HTMLElement}[]} o.tabs  work areas, in order
 * @param {{id: string, label: string, panel: HTMLElement}} [o.aside]  beside the tabs when wide (chat)
 */
export function consoleShell({header, tabs, aside, className = '', initial = null, onSelect = null}) {
  // On a phone the channels are a tab too, second in line: chat is what people open most.
  const all = aside ? [tabs[0], aside, ...tabs.slice(1)] : tabs;
  const buttons = new Map();
  const panels = new Map();
  const badges = new Map();
  const listeners = new Set();
  let active = all.some((t) => t.id === initial) ? initial : tabs[0].id;

  const tablist = h('div', {class: 'tabs', role: 'tablist', 'aria-label': 'Work areas'});
  for (const tab of all) {
    const badge = h('span', {class: 'tab-badge', hidden: true});
    const button = h('button', {type: 'button', role: 'tab', class: ['tab', aside && tab.id === aside.id && 'tab--aside'],
                                id: `tab-${tab.id}`, 'aria-controls': `panel-${tab.id}`, 'aria-selected': 'false',
                                tabindex: '-1', dataset: {tab: tab.id}}, tab.label, badge);
    button.addEventListener('click', () => select(tab.id, {focus: false}));
    button.addEventListener('keydown', (e) => onKey(e, tab.id));
    buttons.set(tab.id, button);
    badges.set(tab.id, badge);
    tablist.appendChild(button);
    const panel = h('section', {class: 'tabpanel', role: 'tabpanel', id: `panel-${tab.id}`,
                                'aria-labelledby': `tab-${tab.id}`, tabindex: '-1'}, tab.panel);
    panels.set(tab.id, panel);
  }

  const banners = h('div', {class: 'banners', 'aria-live': 'polite'});
  const main = h('div', {class: 'console-main'}, ...tabs.map((t) => panels.get(t.id)));
  const body = h('div', {class: ['console-body', aside && 'has-aside']}, main,
    aside ? h('aside', {class: 'console-aside', 'aria-label': aside.label}, panels.get(aside.id)) : null);
  const el = h('div', {class: ['console', className]}, header, banners, h('nav', {class: 'tabs-bar'}, tablist), body);

  function visibleIds() {
    const ids = new Set([active]);
    if (aside && WIDE.matches) ids.add(aside.id);
    return ids;
  }

  function select(id, {focus = false} = {}) {
    if (aside && id === aside.id && WIDE.matches) id = tabs[0].id;
    active = id;
    for (const [tabId, button] of buttons) {
      const on = tabId === id;
      button.setAttribute('aria-selected', String(on));
      button.tabIndex = on ? 0 : -1;
      panels.get(tabId).classList.toggle('is-active', on);
    }
    if (focus) buttons.get(id).focus();
    reveal(buttons.get(id));
    for (const fn of listeners) fn(visibleIds());
    onSelect?.(id);
  }

  /** Scroll the tab bar (only it: not the page) so the tab shows whole, its neighbour's edge too, on a phone
   *  where the tabs do not all fit. */
  function reveal(button) {
    if (!tablist.clientWidth || tablist.scrollWidth <= tablist.clientWidth) return;
    const b = button.getBoundingClientRect();
    const bar = tablist.getBoundingClientRect();
    const room = 24;  // a glimpse of the next tab says there is more
    if (b.left < bar.left + room) tablist.scrollLeft -= bar.left + room - b.left;
    else if (b.right > bar.right - room) tablist.scrollLeft += b.right - (bar.right - room);
  }

  function onKey(e, id) {
    const order = all.filter((t) => !(aside && t.id === aside.id && WIDE.matches)).map((t) => t.id);
    const i = order.indexOf(id);
    let next = null;
    if (e.key === 'ArrowRight') next = order[(i + 1) % order.length];
    else if (e.key === 'ArrowLeft') next = order[(i - 1 + order.length) % order.length];
    else if (e.key === 'Home') next = order[0];
    else if (e.key === 'End') next = order[order.length - 1];
    if (next) {
      e.preventDefault();
      select(next, {focus: true});
    }
  }

  WIDE.addEventListener('change', () => select(active));
  window.addEventListener('resize', () => reveal(buttons.get(active)));
  select(active);

  return {
    el,
    banners,
    select,
    isVisible: (id) => visibleIds().has(id),
    onVisibility(fn) {
      listeners.add(fn);
    },
    setBadge(id, count) {
      const badge = badges.get(id);
      if (!badge) return;
      badge.hidden = !count;
      badge.textContent = count > 99 ? '99+' : String(count || '');
      buttons.get(id).setAttribute('aria-label', count ? `${all.find((t) => t.id === id).label} (${count} unread)` : all.find((t) => t.id === id).label);
    },
  };
}

const TRAY_MAX = 12;

/**
 * A notice (an inject arriving, a phase opening, the exercise ending): the newest is shown as a banner,
 * the earlier ones wait in a tray with a count, so notices never stack up over the work.
 */
export function banner(host, {title, text, kind = 'inject'}) {
  const close = h('button', {type: 'button', class: 'banner-close', 'aria-label': 'Dismiss'}, '×');
  const el = h('div', {class: ['banner', `banner--${kind}`], role: 'alert'},
    h('div', {class: 'banner-body'}, h('strong', {class: 'banner-title', dir: 'auto'}, title),
      text ? h('p', {dir: 'auto'}, text) : null), close);
  close.addEventListener('click', () => {
    el.remove();
    renderTray(host);
  });
  const tray = trayOf(host);
  // A new phase makes the previous phase's notice old news.
  if (kind === 'phase') for (const old of host.querySelectorAll('.banner--phase')) old.remove();
  const current = host.querySelector(':scope > .banner');
  if (current) tray.list.prepend(h('li', {}, current));
  while (tray.list.children.length > TRAY_MAX) tray.list.lastElementChild.remove();
  host.prepend(el);
  renderTray(host);
  return el;
}

function trayOf(host) {
  if (!host.__tray) {
    const summary = h('summary', {class: 'banner-tray-summary'});
    const list = h('ul', {class: 'banner-tray-list'});
    const clear = h('button', {type: 'button', class: 'btn btn--small btn--ghost'}, 'Clear these notices');
    const el = h('details', {class: 'banner-tray'}, summary, list, clear);
    clear.addEventListener('click', () => {
      list.replaceChildren();
      renderTray(host);
    });
    host.appendChild(el);
    host.__tray = {el, summary, list};
  }
  return host.__tray;
}

function renderTray(host) {
  const tray = trayOf(host);
  for (const item of [...tray.list.children]) if (!item.firstElementChild) item.remove();  // dismissed inside
  const n = tray.list.children.length;
  tray.el.hidden = n === 0;
  if (!n) tray.el.open = false;
  tray.summary.textContent = `${n} earlier ${n === 1 ? 'notice' : 'notices'}`;
  host.classList.toggle('has-notices', Boolean(n || host.querySelector(':scope > .banner')));
}
