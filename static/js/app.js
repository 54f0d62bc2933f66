// The router: every page is the same shell (static/index.html); the path picks a screen module.
// A screen is a module in ./screens/ exporting mount(root, ctx). To add one: write the module, add
// its path here (and to PAGES in facilitator/pages.py so the server serves the shell there).

import {h} from './lib/dom.js';

const ROUTES = {
  '/': 'home',
  '/join': 'join',
  '/play': 'play',
  '/umpire': 'umpire',
  '/observe': 'observe',
  '/projector': 'projector',
  '/replay': 'replay',
  '/glossary': 'glossary',
};

async function main() {
  const path = location.pathname.replace(/\/+$/, '') || '/';
  const name = ROUTES[path] || 'home';
  const root = document.getElementById('main');
  document.body.dataset.screen = name;
  let screen = null;
  try {
    screen = await import(`./screens/${name}.js`);
    await screen.mount(root, {path});
  } catch (err) {
    root.classList.remove('loading');
    root.replaceChildren();
    const p = document.createElement('p');
    p.className = 'form-error';
    p.textContent = `This page failed to load: ${err.message}`;
    root.appendChild(p);
    throw err;
  }
  // A new link pasted into the address bar of an open page: start again from it (unless the screen follows
  // its fragment itself, as the replay does for back and forward).
  if (!screen.handlesHashChange) window.addEventListener('hashchange', () => location.reload());
}

// The server was upgraded while this page was open and something is being typed (lib/socket.js): ask for a
// reload, at the top of the page (not over the text being written), rather than lose the text.
window.addEventListener('facilitator:outdated', () => {
  if (document.querySelector('.outdated-notice')) return;
  const close = h('button', {type: 'button', class: 'toast-close', 'aria-label': 'Dismiss this notice'}, '×');
  const el = h('div', {class: ['toast', 'outdated-notice'], role: 'alert'},
    h('span', {}, 'The server was updated. Reload this page to go on (what you have typed here may be lost).'),
    h('button', {type: 'button', class: ['btn', 'btn--small'], on: {click: () => location.reload()}}, 'Reload'),
    close);
  close.addEventListener('click', () => el.remove());
  el.addEventListener('keydown', (event) => { if (event.key === 'Escape') el.remove(); });
  document.body.prepend(el);  // first in the keyboard's order, as it is at the top of the page
});

main();
