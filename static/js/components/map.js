// The deck's map (the state's `exercise.map`: an SVG file of /static/maps/, its caption and licence): a card
// that shows it across its width, and a large view (the map at full size, scrolling, or fitted to the screen).

import {h, renderIfChanged, uid} from '../lib/dom.js';
import {card} from './ui.js';

/** Where the browser finds a deck's map file (the deck names a file of static/maps). */
export function mapSource(map) {
  return `/static/maps/${encodeURIComponent(map.file)}`;
}

/** The large view: a modal dialog with the map at full size (scroll to move about; it opens on the map's middle)
 *  or fitted to the screen, its caption and licence under it. */
function largeView(map, opener) {
  const img = h('img', {src: mapSource(map), alt: `Map: ${map.caption}`, class: 'map-large-img'});
  const frame = h('div', {class: 'map-large-frame', tabindex: '0', role: 'group',
                          'aria-label': 'The map at full size: scroll to move about'}, img);
  const middle = () => {
    frame.scrollLeft = (frame.scrollWidth - frame.clientWidth) / 2;
    frame.scrollTop = (frame.scrollHeight - frame.clientHeight) / 2;
  };
  if (img.complete) requestAnimationFrame(middle); else img.addEventListener('load', middle, {once: true});
  const fit = h('button', {type: 'button', class: 'btn btn--small', 'aria-pressed': 'false'}, 'Fit to the screen');
  fit.addEventListener('click', () => {
    const fitted = frame.classList.toggle('is-fitted');
    fit.setAttribute('aria-pressed', String(fitted));
    frame.setAttribute('aria-label', fitted ? 'The map, fitted to the screen' : 'The map at full size: scroll to move about');
    if (!fitted) middle();
  });
  const close = h('button', {type: 'button', class: 'btn btn--small'}, 'Close');
  const titleId = uid('map-title');
  const dialog = h('dialog', {class: 'map-dialog', 'aria-labelledby': titleId},
    h('div', {class: 'map-dialog-bar'},
      h('h2', {class: 'map-dialog-title', id: titleId}, 'Map'),
      h('div', {class: 'map-dialog-actions'}, fit,
        h('a', {class: 'btn btn--small', href: mapSource(map), target: '_blank', rel: 'noopener'}, 'Open in a new tab'),
        close)),
    frame,
    h('div', {class: 'map-dialog-foot'},
      h('p', {class: 'map-caption', dir: 'auto'}, map.caption),
      h('p', {class: 'map-licence hint', dir: 'auto'}, map.licence)));
  close.addEventListener('click', () => dialog.close());
  // A click on the backdrop (outside the dialog's box) closes it too; Escape does by itself.
  dialog.addEventListener('click', (e) => { if (e.target === dialog) dialog.close(); });
  dialog.addEventListener('close', () => {
    dialog.remove();
    if (opener.isConnected) opener.focus();
  });
  document.body.appendChild(dialog);
  dialog.showModal();
  frame.focus({preventScroll: true});
}

/** The map as a figure: the picture (a click on it opens the large view, as the button under it does), its
 *  caption and licence. */
function figure(map) {
  const open = h('button', {type: 'button', class: 'btn btn--small', dataset: {key: 'map-open'}}, 'View the map large');
  const img = h('img', {src: mapSource(map), alt: 'Map', class: 'map-thumb', decoding: 'async'});  // the caption follows
  open.addEventListener('click', () => largeView(map, open));
  img.addEventListener('click', () => largeView(map, open));
  return h('figure', {class: 'deck-map'},
    img,
    h('figcaption', {},
      h('span', {class: 'map-caption', dir: 'auto'}, map.caption),
      h('span', {class: 'map-licence hint', dir: 'auto'}, map.licence)),
    h('div', {class: 'form-actions'}, open));
}

/** A "Map" card, shown only while the exercise's deck has a map (`exercise.map`). */
export function mapCard(model) {
  const body = h('div', {class: 'map-body'});
  const el = card('Map', body);
  el.classList.add('map-card');
  el.hidden = true;
  return {
    el,
    update() {
      const map = model.state.exercise?.map || null;
      el.hidden = !map;
      renderIfChanged(body, map, () => (map ? figure(map) : []));
    },
  };
}
