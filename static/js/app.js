// The router: every page is the same shell (static/index.html); the path picks a screen module.
// A screen is a module in ./screens/ exporting mount(root, ctx). To add one: write the module, add
// its path here (and to PAGES in facilitator/pages.py so the server serves the shell there).

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

main();
