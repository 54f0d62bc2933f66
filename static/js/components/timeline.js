// The timeline of everything this viewer has seen, newest at the bottom; older pages load on scroll.

import {h, isolate} from '../lib/dom.js';
import {formatClockTime} from '../lib/clock.js';
import {describeEvent} from '../lib/format.js';
import {VirtualList} from '../lib/virtual-list.js';
import {showError, errorLine} from './ui.js';

const FILTERS = [
  {id: 'key', label: 'Without chat', test: (kind) => kind !== 'chat' && kind !== 'presence'},
  {id: 'all', label: 'Everything', test: () => true},
  {id: 'chat', label: 'Chat only', test: (kind) => kind === 'chat'},
];

export function audienceNote(event, model) {
  const a = event.audience;
  if (!a || a.everyone) return null;
  const viewer = model.state?.you;
  if (!a.delegations?.length) return 'umpire only';
  if (viewer?.role === 'delegation' && a.delegations.length === 1 && a.delegations[0] === viewer.delegation) {
    return 'only your delegation';
  }
  return `to ${a.delegations.map((d) => model.delegationName(d)).join(', ')}`;
}

export function timelineRow(event, model) {
  const info = describeEvent(event, model);
  const note = audienceNote(event, model);
  return h('article', {class: ['tl', `tl--${info.kind}`], dataset: {seq: event.seq, type: event.type}},
    h('time', {class: 'tl-time', datetime: event.at}, formatClockTime(event.at)),
    h('div', {class: 'tl-body'},
      // The app's sentence, left to right, with the names and titles in it isolated; the detail is people's text.
      h('p', {class: 'tl-title', dir: 'ltr'}, isolate(info.title, info.people), note ? h('span', {class: 'tl-private'}, note) : null),
      info.detail ? h('p', {class: 'tl-detail', dir: 'auto'}, info.detail) : null));
}

export function timelinePanel({model, defaultFilter = 'key'}) {
  let filter = FILTERS.find((f) => f.id === defaultFilter) || FILTERS[0];
  let cache = {version: -1, filter: null, items: []};
  const error = errorLine();
  const select = h('select', {id: 'timeline-filter', class: 'select-inline'},
    ...FILTERS.map((f) => h('option', {value: f.id, selected: f.id === filter.id}, f.label)));
  const kinds = new Map();  // seq -> kind (describing 10,000 events once, not on every update)

  const list = new VirtualList({
    label: 'Timeline',
    role: 'log',
    estimate: 54,
    stickToBottom: true,
    emptyText: 'Nothing has happened yet.',
    className: 'timeline',
    renderItem: (event) => timelineRow(event, model),
    onNearTop: () => loadOlder(),
  });

  function kindOf(event) {
    let kind = kinds.get(event.seq);
    if (!kind) {
      kind = describeEvent(event, model).kind;
      kinds.set(event.seq, kind);
    }
    return kind;
  }

  function items() {
    const t = model.timeline;
    if (cache.version !== t.version || cache.filter !== filter.id) {
      cache = {version: t.version, filter: filter.id, items: t.items.filter((e) => filter.test(kindOf(e)))};
    }
    return cache.items;
  }

  async function loadOlder() {
    const t = model.timeline;
    if (t.loading || !t.more) return;
    list.setLoading(true);
    try {
      // A filter may hide a whole page: keep going (a few pages at most) until something shows.
      for (let i = 0; i < 5 && t.more; i += 1) {
        const before = items().length;
        await model.loadOlderTimeline();
        if (items().length > before) break;
      }
      showError(error, null);
    } catch (err) {
      showError(error, err);
    } finally {
      list.setLoading(false);
    }
  }

  select.addEventListener('change', () => {
    filter = FILTERS.find((f) => f.id === select.value) || FILTERS[0];
    list.atBottom = true;
    list.setItems(items());
  });

  const refresh = () => list.setItems(items());
  model.on('event', refresh);
  model.on('history', ({channel}) => { if (channel === null) refresh(); });

  const el = h('div', {class: 'timeline-panel'},
    h('div', {class: 'panel-head'}, h('h2', {}, 'Timeline'),
      h('div', {class: 'inline-field'}, h('label', {for: 'timeline-filter'}, 'Show'), select)),
    error, list.el);
  return {
    el,
    start() {
      refresh();
      loadOlder();
    },
    shown() {
      list.scrollToBottom();
    },
  };
}
