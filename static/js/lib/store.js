// What the page knows about one exercise: the latest state (from `sync`, then patched by each `update`),
// the timeline and the chat of each channel (from events, sorted by seq), and the tokens kept in this
// browser.
//
// How state stays current: the server pushes, with each update, what changed in this viewer's state
// (docs/protocol.md, "update"), computed by the engine through its visibility boundary. The browser
// never folds events itself (that would duplicate the engine) and never asks for the state again
// because something happened.

import {api, fetchEvents} from './api.js';
import {ServerClock} from './clock.js';

const PAGE = 150;

// ---- tokens and recents kept in localStorage ------------------------------------------------------

const KEY = 'facilitator';

// `area`: 'localStorage' (kept) or 'sessionStorage' (this tab only); either may be disabled.
function read(key, fallback = null, area = 'localStorage') {
  try {
    const raw = window[area].getItem(`${KEY}:${key}`);
    return raw === null ? fallback : JSON.parse(raw);
  } catch {
    return fallback;
  }
}

function write(key, value, area = 'localStorage') {
  try {
    if (value === null || value === undefined) window[area].removeItem(`${KEY}:${key}`);
    else window[area].setItem(`${KEY}:${key}`, JSON.stringify(value));
  } catch {
    // storage full or disabled: the page still works until it is reloaded
  }
}

const readSession = (key) => read(key, null, 'sessionStorage');
const writeSession = (key, value) => write(key, value, 'sessionStorage');

export const storage = {
  /** A participant's seat in an exercise: {token, role, delegation, participant, name, code}. */
  session: (exerciseId) => read(`session:${exerciseId}`),
  saveSession: (exerciseId, data) => write(`session:${exerciseId}`, data),
  forgetSession: (exerciseId) => write(`session:${exerciseId}`, null),
  /** Join code (normalised) -> exercise id, so an opened join link finds an existing seat. */
  exerciseForCode: (code) => read(`code:${normaliseCode(code)}`),
  rememberCode: (code, exerciseId) => write(`code:${normaliseCode(code)}`, exerciseId),
  /** The umpire token of an exercise: kept in localStorage, or for this tab only (sessionStorage) when its
   *  creator chose not to keep links on this computer. */
  umpireToken: (exerciseId) => read(`umpire:${exerciseId}`) ?? readSession(`umpire:${exerciseId}`),
  saveUmpireToken: (exerciseId, token, {tabOnly} = {}) => {
    const key = `umpire:${exerciseId}`;
    // Unsaid: where the token it replaces was kept (a re-issued link stays for this tab only if the old one did).
    const here = tabOnly ?? (readSession(key) !== null && read(key) === null);
    if (token === null || token === undefined) {
      write(key, null);
      writeSession(key, null);
    } else if (here) {
      writeSession(key, token);
      write(key, null);
    } else {
      write(key, token);
      writeSession(key, null);
    }
  },
  /** Every umpire token this browser keeps (consoles opened here keep theirs), for a shared computer. */
  forgetUmpireTokens: () => {
    for (const area of ['localStorage', 'sessionStorage']) {
      try {
        const store = window[area];
        const keys = Array.from({length: store.length}, (_, i) => store.key(i));
        for (const key of keys) if (key?.startsWith(`${KEY}:umpire:`)) store.removeItem(key);
      } catch {
        // storage disabled: nothing was kept
      }
    }
  },
  /** Exercises created from this browser, with their links (shown once by the server). */
  created: () => read('created', []),
  saveCreated: (list) => write('created', list.slice(0, 20)),
  /** Per exercise + viewer: how many messages of each channel have been read. */
  readCounts: (scope) => read(`read:${scope}`, {}),
  saveReadCounts: (scope, counts) => write(`read:${scope}`, counts),
  drafts: (scope) => read(`drafts:${scope}`, {}),
  saveDrafts: (scope, drafts) => write(`drafts:${scope}`, drafts),
  /** Commands sent but not yet answered, [{payload, at}], resent (same command_id) by the next page. */
  outbox: (scope) => read(`outbox:${scope}`, []),
  saveOutbox: (scope, list) => write(`outbox:${scope}`, list.length ? list : null),
};

export function normaliseCode(code) {
  return String(code || '').toUpperCase().replace(/[^A-Z0-9]/g, '');
}

// ---- events sorted by seq ----------------------------------------------------------------------------

export class SortedEvents {
  constructor() {
    this.items = [];
    this.seqs = new Set();
    this.more = true;       // older events may exist on the server
    this.loading = false;
    this.floor = null;      // complete from this seq on (null: from the first sync on)
    this.version = 0;       // bumped on every change (for views)
  }

  get oldestSeq() {
    return this.items.length ? this.items[0].seq : null;
  }

  /** Insert keeping seq order; false if already present. */
  add(event) {
    if (this.seqs.has(event.seq)) return false;
    this.seqs.add(event.seq);
    const items = this.items;
    if (!items.length || items[items.length - 1].seq < event.seq) {
      items.push(event);
    } else {
      let lo = 0;
      let hi = items.length;
      while (lo < hi) {
        const mid = (lo + hi) >> 1;
        if (items[mid].seq < event.seq) lo = mid + 1; else hi = mid;
      }
      items.splice(lo, 0, event);
    }
    this.version += 1;
    return true;
  }

  /** Add a page of older events at once (one splice instead of many). */
  addOlder(events) {
    const fresh = events.filter((e) => !this.seqs.has(e.seq)).sort((a, b) => a.seq - b.seq);
    if (!fresh.length) return 0;
    const oldest = this.oldestSeq;
    if (oldest === null || fresh[fresh.length - 1].seq < oldest) {
      for (const e of fresh) this.seqs.add(e.seq);
      this.items = fresh.concat(this.items);
      this.version += 1;
    } else {
      for (const e of fresh) this.add(e);
    }
    return fresh.length;
  }
}

// ---- the exercise model ------------------------------------------------------------------------------

export class ExerciseModel extends EventTarget {
  constructor({exerciseId, token, viewerKey}) {
    super();
    this.exerciseId = exerciseId;
    this.token = token;
    this.viewerKey = viewerKey || 'viewer';
    this.state = null;
    this.syncLastSeq = 0;
    this.liveFrom = null;  // every visible event from this seq on reaches the page over the socket
    this.clock = new ServerClock();
    this.timeline = new SortedEvents();
    this.channels = new Map();
    this.conn = null;  // set by the session: used to re-request state
  }

  channel(id) {
    let list = this.channels.get(id);
    if (!list) {
      list = new SortedEvents();
      this.channels.set(id, list);
    }
    return list;
  }

  /** The exercise's own title (the state carries the deck's); fetched once. */
  async loadSummary() {
    try {
      this.summary = await api(`/api/exercises/${encodeURIComponent(this.exerciseId)}`);
      this.emit('summary', this.summary);
    } catch {
      this.summary = null;
    }
  }

  get title() {
    return this.summary?.title || this.state?.exercise?.title || '';
  }

  applySync(sync, {first}) {
    this.state = sync.state;
    this.syncLastSeq = sync.last_seq;
    if (this.liveFrom === null) this.liveFrom = sync.last_seq + 1;
    this.clock.sync(sync.server_time);
    if (first) this.loadSummary();
    this.emit('state', {first});
  }

  /** An update from the connection: patch the state, then take its events (live or, after a sync, history). */
  applyUpdate(update, history) {
    const patch = update.state;
    const changed = Boolean(this.state && patch && (patch.set || patch.merge));
    if (changed) applyPatch(this.state, patch);
    for (const event of update.events || []) this.addEvent(event, history);
    if (changed) this.emit('state', {first: false});
  }

  addEvent(event, history) {
    const isNew = this.timeline.add(event);
    if (!isNew) return;
    if (event.type === 'message_posted' && event.data?.channel) {
      this.channel(event.data.channel).add(event);
      this.emit('message', {event, history});
    }
    this.emit('event', {event, history});
  }

  /** Page older timeline events in from the REST endpoint. */
  async loadOlderTimeline() {
    return this.loadOlder(this.timeline, null);
  }

  async loadOlderChannel(channelId) {
    const list = this.channel(channelId);
    const count = this.state?.channels?.find((c) => c.id === channelId)?.count;
    if (count !== undefined && list.items.length >= count) list.more = false;
    return this.loadOlder(list, channelId);
  }

  // Each list is complete from its `floor` seq up to now: events after the first sync arrive live
  // (or are replayed on resume), and each page fetched from the server moves the floor down.
  async loadOlder(list, channel) {
    if (list.loading || !list.more || this.liveFrom === null) return 0;
    list.loading = true;
    try {
      const before = list.floor ?? this.liveFrom;
      if (before <= 1) {
        list.more = false;
        return 0;
      }
      const page = await fetchEvents(this.exerciseId, this.token, {before, limit: PAGE, channel});
      const added = list.addOlder(page.events);
      list.more = Boolean(page.more);
      list.floor = page.more && page.events.length ? page.events.reduce((m, e) => Math.min(m, e.seq), before) : 1;
      if (!channel) {
        // A timeline page holds every event from its floor on, so each channel is complete from there too.
        for (const e of page.events) {
          if (e.type === 'message_posted' && e.data?.channel) this.channel(e.data.channel).add(e);
        }
        for (const ch of this.channels.values()) {
          if ((ch.floor ?? this.liveFrom) > list.floor) {
            ch.floor = list.floor;
            if (!list.more) ch.more = false;
          }
        }
      }
      this.emit('history', {channel, added});
      return added;
    } finally {
      list.loading = false;
    }
  }

  emit(type, detail) {
    this.dispatchEvent(new CustomEvent(type, {detail}));
  }

  on(type, fn) {
    const wrapped = (e) => fn(e.detail);
    this.addEventListener(type, wrapped);
    return () => this.removeEventListener(type, wrapped);
  }

  // ---- look-ups over the state -------------------------------------------------------------------

  /** Resolves once the state holds everything up to `seq` (or after `ms`, whichever comes first). */
  caughtUp(seq, ms = 3000) {
    const deadline = Date.now() + ms;
    return new Promise((resolve) => {
      const check = () => {
        if ((this.conn?.lastSeq ?? 0) >= seq || Date.now() > deadline) resolve();
        else setTimeout(check, 25);
      };
      check();
    });
  }

  /** Display names of a delegation's members, sorted. */
  membersOf(delegationId) {
    return (this.state?.members || []).filter((m) => m.delegation === delegationId).map((m) => m.name).sort();
  }

  delegationName(id) {
    if (!id) return '';
    return this.state?.delegations?.find((d) => d.id === id)?.name || id;
  }

  channelName(id) {
    return this.state?.channels?.find((c) => c.id === id)?.name || channelFallbackName(id, this);
  }

  indicatorName(id) {
    return this.state?.indicators?.find((i) => i.id === id)?.name || humanise(id);
  }

  tableName(id) {
    return this.state?.tables?.find((t) => t.id === id)?.name || humanise(id);
  }
}

/**
 * Apply an update's state patch in place (docs/protocol.md): `set` replaces (or, with null, removes)
 * whole sections; `merge` patches list sections entry by entry, matched on `key`, in `order` when given;
 * without it, entries keep their places and new ones come at the end, in the order of `upsert`.
 */
export function applyPatch(state, patch) {
  for (const [name, value] of Object.entries(patch.set || {})) {
    if (value === null) delete state[name]; else state[name] = value;
  }
  for (const [name, change] of Object.entries(patch.merge || {})) {
    const before = state[name] || [];
    const entries = new Map(before.map((e) => [e[change.key], e]));
    const upsert = change.upsert || [];
    const arrived = before.map((e) => e[change.key])
      .concat(upsert.map((e) => e[change.key]).filter((k) => !entries.has(k)));
    for (const e of upsert) entries.set(e[change.key], e);
    for (const k of change.remove || []) entries.delete(k);
    const order = change.order || arrived.filter((k) => entries.has(k));
    state[name] = order.map((k) => entries.get(k));
  }
}

function channelFallbackName(id, model) {
  if (!id) return '';
  if (id === 'plenary') return 'Plenary';
  const [kind, ref] = id.split(':');
  if (kind === 'table') return model.tableName(ref);
  if (kind === 'delegation') return `${model.delegationName(ref)} (private)`;
  if (kind === 'backchannel') return 'Back-channel';
  if (kind === 'umpire') return 'Exercise control';
  return id;
}

export function humanise(id) {
  return String(id || '').replace(/[-_]/g, ' ');
}
