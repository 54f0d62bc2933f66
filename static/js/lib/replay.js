// The replay screen's data: where it stands (kept in the page's fragment), the REST calls, the mapping from
// played time to the log's seq, and what one perspective knew that another did not. No DOM here.
//
// docs/replay.md describes the screen; docs/protocol.md the two endpoints (`/replay` and `/replay/timeline`).

import {api} from './api.js';

export const SPEEDS = [1, 2, 5, 10, 30, 60];
export const HISTORY = 200;  // messages of the chosen channel shown as they stood

/** The kinds of moments a replay jumps to (the timeline's `moments[].kind`), in the order offered. */
export const KINDS = [
  {id: 'all', label: 'Any moment', one: 'moment'},
  {id: 'phase', label: 'Phases', one: 'phase'},
  {id: 'inject', label: 'Injects', one: 'inject'},
  {id: 'signal', label: 'Signals', one: 'signal'},
  {id: 'agreement', label: 'Agreements', one: 'agreement'},
  {id: 'adjudication', label: 'Adjudications', one: 'adjudication'},
  {id: 'bookmark', label: 'Bookmarks', one: 'bookmark'},
];

/** Played seconds as h:mm:ss. */
export function formatPlayed(seconds) {
  const s = Math.max(0, Math.floor(Number(seconds) || 0));
  return `${Math.floor(s / 3600)}:${String(Math.floor(s / 60) % 60).padStart(2, '0')}:${String(s % 60).padStart(2, '0')}`;
}

// ---- where the replay stands: the fragment ----------------------------------------------------------

const DEFAULT_TAB = 'state';

/** The replay's place from the fragment (#exercise=…&as=…&vs=…&seq=…&speed=…&channel=…&kind=…&tab=…). */
export function readPlace(params) {
  const seq = Number.parseInt(params.get('seq') ?? '', 10);
  const speed = Number(params.get('speed'));
  const kind = params.get('kind');
  return {
    exercise: params.get('exercise') || '',
    code: params.get('code') || '',
    as: params.get('as') || '',
    vs: params.get('vs') || '',
    seq: Number.isInteger(seq) && seq >= 0 ? seq : null,
    speed: SPEEDS.includes(speed) ? speed : 1,
    channel: params.get('channel') || 'plenary',
    kind: KINDS.some((k) => k.id === kind) ? kind : 'all',
    tab: params.get('tab') || DEFAULT_TAB,
  };
}

/** The fragment for a place (the observer code rides along: it is the observer's key, as in /observe#code=). */
export function placeFragment(place) {
  const p = new URLSearchParams();
  p.set('exercise', place.exercise);
  if (place.code) p.set('code', place.code);
  p.set('as', place.as);
  if (place.vs) p.set('vs', place.vs);
  p.set('seq', String(place.seq ?? 0));
  p.set('speed', String(place.speed));
  if (place.channel && place.channel !== 'plenary') p.set('channel', place.channel);
  if (place.kind && place.kind !== 'all') p.set('kind', place.kind);
  if (place.tab && place.tab !== DEFAULT_TAB) p.set('tab', place.tab);
  return `#${readable(p)}`;
}

/** A fragment as people read it: `as=d:ukraine`, not `as=d%3Aukraine` (both mean the same). */
function readable(params) {
  return String(params).replace(/%3A/gi, ':');
}

/** The address of the replay of an exercise (for the consoles' "Replay" links). */
export function replayHref(exerciseId, {as, code} = {}) {
  const p = new URLSearchParams({exercise: exerciseId});
  if (code) p.set('code', code);
  if (as) p.set('as', as);
  return `/replay#${readable(p)}`;
}

// ---- perspectives ------------------------------------------------------------------------------------

/** The perspectives a token may replay from (the server checks it too): exercise control any, a member its
 * delegation's and the public one, an observer the public one. `delegations`: the deck's, [{id, name}]. */
export function allowedPerspectives(who, delegations = []) {
  if (who.role === 'umpire' || who.role === 'assistant') {
    return ['umpire', 'observers', 'public', ...delegations.map((d) => `d:${d.id}`)];
  }
  if (who.role === 'delegation') return [`d:${who.delegation}`, 'public'];
  return ['public'];
}

/** The perspective a replay opens on: the delegation's own, public for observers, everything for control. */
export function defaultPerspective(who) {
  if (who.role === 'umpire' || who.role === 'assistant') return 'umpire';
  if (who.role === 'delegation') return `d:${who.delegation}`;
  return 'public';
}

export function perspectiveLabel(key, delegations = []) {
  if (key === 'umpire') return 'Exercise control';
  if (key === 'observers') return 'Observers';
  if (key === 'public') return 'Public';
  if (key.startsWith('d:')) return delegations.find((d) => d.id === key.slice(2))?.name || key.slice(2);
  return key;
}

export function perspectiveHint(key) {
  if (key === 'umpire') return 'everything';
  if (key === 'observers') return 'what observers were shown';
  if (key === 'public') return 'what everyone was told';
  return 'what this delegation knew';
}

// ---- REST ------------------------------------------------------------------------------------------

const base = (exerciseId) => `/api/exercises/${encodeURIComponent(exerciseId)}/replay`;

/** The state as `as` saw it at `seq` (or the next/previous event it was told of, with `step`), with the last
 * messages of `channel` as they stood. */
export function fetchReplay(exerciseId, token, {as, seq, step = 0, channel = null, history = HISTORY}, signal) {
  const p = new URLSearchParams({as, seq: String(seq)});
  if (step) p.set('step', String(step));
  if (history) {
    p.set('history', String(history));
    if (channel) p.set('channel', channel);
  }
  return api(`${base(exerciseId)}?${p}`, {token, signal});
}

export function fetchTimeline(exerciseId, token, as, signal) {
  return api(`${base(exerciseId)}/timeline?${new URLSearchParams({as})}`, {token, signal});
}

// ---- played time and seq -------------------------------------------------------------------------------

/** One ordered list of steps {seq: [...], played: [...]} from one or two timelines (a comparison moves
 * through the events either perspective was told of). */
export function mergeSteps(...timelines) {
  const byseq = new Map();
  for (const t of timelines) {
    if (!t) continue;
    t.steps.seq.forEach((seq, i) => byseq.set(seq, t.steps.played[i]));
  }
  const seq = [...byseq.keys()].sort((a, b) => a - b);
  return {seq, played: seq.map((s) => byseq.get(s))};
}

/** The last step at or before `played` seconds (0: before the first). */
export function seqAtPlayed(steps, played) {
  let lo = 0;
  let hi = steps.played.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (steps.played[mid] <= played + 1e-6) lo = mid + 1; else hi = mid;
  }
  return lo ? steps.seq[lo - 1] : 0;
}

/** The played time at `seq` (that of the last step at or before it). */
export function playedAtSeq(steps, seq) {
  let lo = 0;
  let hi = steps.seq.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (steps.seq[mid] <= seq) lo = mid + 1; else hi = mid;
  }
  return lo ? steps.played[lo - 1] : 0;
}

/** The moments of one or two timelines, once each, in log order; in a comparison each says who was told
 * of it (`only`: the perspective key, or null when both were). */
export function mergeMoments(a, b) {
  const key = (m) => `${m.seq}|${m.kind}|${m.type}|${m.id || ''}`;
  const out = new Map();
  for (const m of a?.moments || []) out.set(key(m), {...m, only: b ? a.perspective : null});
  for (const m of b?.moments || []) {
    const k = key(m);
    if (out.has(k)) out.get(k).only = null; else out.set(k, {...m, only: b.perspective});
  }
  return [...out.values()].sort((x, y) => x.seq - y.seq || x.played - y.played);
}

/** The next (dir 1) or previous (dir -1) moment of `kind` from `seq`, or null. */
export function nextMoment(moments, seq, kind, dir) {
  const fits = (m) => kind === 'all' || m.kind === kind;
  if (dir > 0) return moments.find((m) => m.seq > seq && fits(m)) || null;
  for (let i = moments.length - 1; i >= 0; i -= 1) if (moments[i].seq < seq && fits(moments[i])) return moments[i];
  return null;
}

// ---- what one perspective knew that the other did not ----------------------------------------------------

/** The list sections compared entry by entry, with their keys (docs/protocol.md, "The sync state"). */
export const KEYED = {indicators: 'id', relations: 'id', signals: 'play', proposals: 'proposal', injects_fired: 'seq',
                      channels: 'id', moves: 'move', bookmarks: 'id', beliefs: 'id', polls: 'indicator', secrets: 'id'};

/**
 * Compare two views of the exercise at one seq. Returns, for each side, by section, the keys of the entries it
 * holds and the other does not (`only`) and of those both hold but see differently (`differs`: an answer to a
 * signal, a drafter or a version only one was told of), and whether either holds any (`held`); messages
 * (history events) by seq.
 */
export function compareViews(a, b) {
  const held = {};
  const side = () => ({only: {}, differs: {}, held, count: 0});
  const out = {a: side(), b: side()};
  for (const [section, key] of Object.entries(KEYED)) {
    const left = new Map((a.state[section] || []).map((e) => [String(e[key]), e]));
    const right = new Map((b.state[section] || []).map((e) => [String(e[key]), e]));
    const only = (mine, theirs, into) => {
      const keys = new Set([...mine.keys()].filter((k) => !theirs.has(k)));
      into.only[section] = keys;
      into.count += keys.size;
    };
    only(left, right, out.a);
    only(right, left, out.b);
    held[section] = left.size + right.size > 0;
    const differs = new Set([...left.keys()].filter((k) => right.has(k) && !sameEntry(left.get(k), right.get(k))));
    out.a.differs[section] = differs;
    out.b.differs[section] = differs;
  }
  const seqs = (r) => new Set((r.history || []).map((e) => String(e.seq)));
  const left = seqs(a);
  const right = seqs(b);
  out.a.only.messages = new Set([...left].filter((s) => !right.has(s)));
  out.b.only.messages = new Set([...right].filter((s) => !left.has(s)));
  return out;
}

function sameEntry(x, y) {
  return JSON.stringify(x) === JSON.stringify(y);
}

/** "2 signals, 1 channel" for a side's `only` sets. */
export function describeOnly(only) {
  const words = {indicators: 'indicator', relations: 'relation', beliefs: 'belief', polls: 'poll', secrets: 'secret card',
                 signals: 'signal', proposals: 'proposal', injects_fired: 'inject', channels: 'channel', moves: 'move',
                 bookmarks: 'bookmark', messages: 'message'};
  return Object.entries(words).map(([section, word]) => {
    const n = only[section]?.size || 0;
    return n ? `${n} ${word}${n === 1 ? '' : 's'}` : null;
  }).filter(Boolean).join(', ');
}
