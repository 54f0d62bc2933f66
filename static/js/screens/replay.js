// The replay: /replay#exercise=<id>&as=<perspective>[&vs=<perspective>]&seq=<n>&speed=<1…60>[&channel=…][&kind=…][&tab=…]
// (an observer's link adds &code=<observer code>, its key, as /observe#code= does). The exercise as one
// perspective saw it at any moment, or two side by side with what one knew and the other did not marked; a
// scrubber over played time, play at 1× to 60×, steps by event, jumps by moment, the indicators over time.
// Everything shown comes from the server's replay endpoints, through the same visibility boundary as live play.
// docs/replay.md describes the screen.

import {h, replace} from '../lib/dom.js';
import {whoami} from '../lib/api.js';
import {fragment, openSession} from '../lib/session.js';
import {storage} from '../lib/store.js';
import {
  allowedPerspectives, compareViews, defaultPerspective, fetchReplay, fetchTimeline, mergeMoments,
  mergeSteps, nextMoment, perspectiveHint, perspectiveLabel, placeFragment, playedAtSeq, readPlace, seqAtPlayed, SPEEDS,
} from '../lib/replay.js';
import {banner, consoleShell} from '../components/shell.js';
import {toast} from '../components/ui.js';
import {transportBar} from '../components/replay-transport.js';
import {replayView} from '../components/replay-view.js';
import {replayChat} from '../components/replay-chat.js';
import {replayCharts} from '../components/replay-charts.js';
import {bookmarksCard, momentsList} from '../components/replay-moments.js';
import {messagePage} from './console.js';

/** The replay follows changes of the fragment itself (back/forward, a link pasted): app.js leaves them to it. */
export const handlesHashChange = true;

const MIN_GAP_MS = 200;   // at most five replay requests a second
const TICK_MS = 100;      // playback clock
const CURSOR_MS = 250;    // charts' cursor while playing
const TIMELINE_REFRESH_MS = 2500;  // a live exercise (exercise control) or a new bookmark: the timeline again

const CONTROL = new Set(['umpire', 'assistant']);

/** The token this browser holds for the exercise: a link's own (kept, then taken out of the address bar), an
 * observer's code, exercise control's, or a seat's. */
async function identify(root, place) {
  const params = fragment();
  const linkToken = params.get('token');
  let token = linkToken || place.code || null;
  if (!token && place.exercise) token = storage.umpireToken(place.exercise) || storage.session(place.exercise)?.token || null;
  if (!token) {
    messagePage(root, {
      title: 'No way into this replay from this browser',
      text: 'Open the replay from your console (the Replay link appears once the exercise has ended), or open the link you were given to join it.',
      actions: [h('a', {href: '/', class: 'btn'}, 'Go to the start page')],
    });
    return null;
  }
  try {
    const who = await whoami(token);
    if (place.exercise && who.exercise !== place.exercise) throw new Error('This link belongs to another exercise.');
    if (linkToken) {
      if (CONTROL.has(who.role)) storage.saveUmpireToken(who.exercise, linkToken);
      else if (who.role === 'delegation') {
        storage.saveSession(who.exercise, {token: linkToken, role: who.role, delegation: who.delegation,
                                           participant: who.participant, name: who.name});
      }
    }
    return {token, who};
  } catch (err) {
    const text = err.status === 401
      ? 'This code or link is not valid (or no longer valid) for any exercise: ask the umpire for a new one.'
      : err.message;
    messagePage(root, {title: 'This link does not open a replay', text,
                       actions: [h('a', {href: '/', class: 'btn'}, 'Go to the start page')]});
    return null;
  }
}

export async function mount(root) {
  const place = readPlace(fragment());
  root.replaceChildren(h('p', {class: 'console-waiting'}, 'Opening the replay…'));
  const found = await identify(root, place);
  if (!found) return;
  const {token, who} = found;
  place.exercise = who.exercise;
  const exerciseId = who.exercise;
  const control = CONTROL.has(who.role);

  // ---- what the screen holds ---------------------------------------------------------------------
  let delegations = [];
  let allowed = allowedPerspectives(who);
  const asked = {as: place.as, vs: place.vs};
  if (!place.as || (!control && !allowed.includes(place.as))) place.as = defaultPerspective(who);
  if (place.vs && (place.vs === place.as || (!control && !allowed.includes(place.vs)))) place.vs = '';
  let timelines = {a: null, b: null};
  let steps = {seq: [], played: []};
  let moments = [];
  let total = 0;
  let lastSeq = 0;
  let shown = null;      // {a, b, seq}: the replies on screen
  let views = {a: null, b: null};
  let playing = false;
  let playPos = 0;       // played seconds where playback stands
  let lastTick = 0;
  let lastCursor = 0;
  let ticker = null;
  let wantedSeq = null;  // the last seq playback asked for
  let ladder = null;     // the readiness ladder's words (from the first state)

  // ---- the page ----------------------------------------------------------------------------------
  const title = h('h1', {class: 'topbar-title'}, 'Replay');
  const subtitle = h('div', {class: 'topbar-phase', 'data-testid': 'phase'}, '');
  const back = h('a', {class: 'btn btn--small rp-back', href: consoleHref(who, exerciseId, place.code)},
    h('span', {class: 'rp-back-long'}, 'Back to the console'), h('span', {class: 'rp-back-short'}, 'Console'));
  const topbar = h('header', {class: 'topbar rp-topbar'},
    h('a', {class: 'topbar-home', href: '/', 'aria-label': 'facilitator home'}, h('img', {src: '/static/img/icon.svg', alt: '', width: '28', height: '28'})),
    h('div', {class: 'topbar-main'}, title, subtitle),
    h('div', {class: 'topbar-side'}, back));

  const asSelect = h('select', {id: 'rp-as', class: 'select-inline', on: {change: () => choose(asSelect.value, place.vs === asSelect.value ? '' : place.vs)}});
  const vsSelect = h('select', {id: 'rp-vs', class: 'select-inline', on: {change: () => choose(place.as, vsSelect.value)}});
  const vsField = h('div', {class: 'inline-field'}, h('label', {for: 'rp-vs'}, 'Side by side with'), vsSelect);
  const legend = h('p', {class: 'rp-legend', hidden: true, 'data-testid': 'replay-legend'});
  const perspectives = h('div', {class: 'rp-perspectives', role: 'group', 'aria-label': 'Perspectives'},
    h('div', {class: 'inline-field'}, h('label', {for: 'rp-as'}, 'Seen by'), asSelect), vsField, legend);

  const transport = transportBar({
    onPlay: () => (playing ? pause() : play()),
    onStep: (dir) => step(dir),
    onJump: (dir) => jump(dir),
    onScrub: (played, done) => scrubTo(played, done),
    onMoment: (seq) => seekSeq(seq, {push: true}),
    onSpeed: (speed) => setSpeed(speed),
    onKind: (kind) => setKind(kind),
  });
  const head = h('div', {class: 'rp-head'}, topbar, h('div', {class: 'rp-bar'}, perspectives, transport.el));

  const viewsBox = h('div', {class: 'rp-views'});
  const stateArea = h('div', {class: 'rp-state'}, viewsBox);
  const charts = replayCharts({onSeek: (seq) => seekSeq(seq, {push: true})});
  const momentsView = momentsList({onSeek: (seq) => seekSeq(seq, {push: true}), onKind: (kind) => setKind(kind)});
  const momentsArea = h('div', {class: 'rp-moments-area'}, momentsView.el);
  const chat = replayChat({onChannel: (id) => {
    place.channel = id;
    seekSeq(position(), {push: false, urgent: true});
  }});

  let umpire = null;  // exercise control's live connection: bookmarks and notes
  let bookmarks = null;
  if (control) {
    umpire = openSession({exerciseId, token, viewerKey: 'umpire-replay'});
    bookmarks = bookmarksCard({model: umpire.model, conn: umpire.conn, seq: () => shown?.seq ?? 0,
                               onSeek: (seq) => seekSeq(seq, {push: true})});
    momentsArea.prepend(bookmarks.el);
    let refresh = null;
    umpire.model.on('event', ({event}) => {
      clearTimeout(refresh);
      refresh = setTimeout(() => loadTimelines().catch(() => {}), event.type.startsWith('bookmark_') ? 300 : TIMELINE_REFRESH_MS);
    });
    umpire.start();
  }

  const shell = consoleShell({
    header: head,
    className: 'console--replay',
    tabs: [{id: 'state', label: 'State', panel: stateArea},
           {id: 'charts', label: 'Charts', panel: charts.el},
           {id: 'moments', label: 'Moments', panel: momentsArea}],
    aside: {id: 'chat', label: 'Chat', panel: chat.el},
    initial: place.tab,
    onSelect: (id) => {
      place.tab = id;
      writeUrl(false);
    },
  });
  shell.onVisibility((ids) => charts.shown(ids.has('charts')));
  charts.shown(shell.isVisible('charts'));  // a link may open on the charts
  const el = h('div', {class: 'replay', 'data-testid': 'replay'}, shell.el);
  root.classList.remove('loading');
  replace(root, el);

  // ---- loading: at most a few requests a second, the stale ones cancelled ---------------------------
  let queue = null;      // the next request: {seq, push, keepPlayed} | {steps, from, push}
  let inflight = null;   // {controller, target}
  let lastStart = -Infinity;
  let timer = null;

  function position() {
    if (queue && 'seq' in queue) return queue.seq;
    if (inflight && 'seq' in inflight.target) return inflight.target.seq;
    return shown?.seq ?? place.seq ?? 0;
  }

  function want(target, {urgent = false} = {}) {
    queue = target;
    if (urgent && inflight) {
      inflight.controller.abort();
      inflight = null;
    }
    pump();
  }

  function pump() {
    if (inflight || !queue || timer) return;
    const wait = lastStart + MIN_GAP_MS - performance.now();
    if (wait > 0) {
      timer = setTimeout(() => {
        timer = null;
        pump();
      }, wait);
      return;
    }
    let target = queue;
    if ('steps' in target) {
      const dir = Math.sign(target.steps);
      queue = target.steps - dir ? {steps: target.steps - dir, push: target.push} : null;
      target = {step: dir, from: target.from ?? shown?.seq ?? 0, push: target.push};
    } else {
      queue = null;
    }
    const controller = new AbortController();
    inflight = {controller, target};
    lastStart = performance.now();
    load(target, controller.signal)
      .then((result) => {
        if (!controller.signal.aborted) show(result, target);
      })
      .catch((err) => {
        if (err.name !== 'AbortError') failed(err);
      })
      .finally(() => {
        if (inflight?.controller === controller) inflight = null;
        pump();
      });
  }

  async function load(target, signal) {
    const as = place.as;
    const vs = place.vs;
    const ask = (key, seq, stepDir = 0) => fetchReplay(exerciseId, token, {as: key, seq, step: stepDir, channel: place.channel}, signal);
    const a = target.step ? await ask(as, target.from, target.step) : null;
    const seq = a ? a.seq : Math.min(target.seq, lastSeq || target.seq);
    const [ra, rb] = await Promise.all([a || ask(as, seq), vs ? ask(vs, seq) : null]);
    return {a: ra, b: rb, seq, as, vs};
  }

  function failed(err) {
    if (err.status === 403 || (err.status === 400 && err.fields?.as)) {
      // A perspective this token may not take (or an unknown one): say so, and show the one it may.
      const fallback = defaultPerspective(who);
      banner(shell.banners, {title: 'That perspective is not open to you', text: err.message, kind: 'alert'});
      if (place.as !== fallback || place.vs) {
        choose(place.as === fallback || allowed.includes(place.as) ? place.as : fallback, '', {push: false});
      }
      return;
    }
    banner(shell.banners, {title: 'The replay could not be loaded', text: err.message, kind: 'alert'});
    pause();
  }

  // ---- showing a moment ---------------------------------------------------------------------------
  function show(result, target) {
    if (result.as !== place.as || result.vs !== place.vs) return;  // the perspectives changed meanwhile
    shown = result;
    if (!ladder) {
      ladder = result.a.state.exercise.readiness_ladder || [];
      updateCharts();
    }
    if (!delegations.length && result.a.state.delegations) learnDelegations(result.a.state.delegations);
    lastSeq = Math.max(lastSeq, result.a.last_seq);
    place.seq = result.seq;
    if (!playing && !target.keepPlayed) playPos = result.a.played;
    ensureViews();
    const cmp = result.b ? compareViews(result.a, result.b) : null;
    views.a.show(result.a, cmp?.a || null);
    views.b?.show(result.b, cmp?.b || null);
    chat.render({current: place.channel, sides: [
      {view: views.a, reply: result.a, side: cmp?.a || null},
      ...(result.b ? [{view: views.b, reply: result.b, side: cmp?.b || null}] : [])]});
    const ex = result.a.state.exercise;
    title.textContent = `Replay: ${ex.title}`;
    title.title = ex.title;
    document.title = `Replay — ${ex.title} — facilitator`;
    subtitle.textContent = ex.ended ? 'The exercise had ended'
      : ex.phase ? `Phase ${ex.phase.index + 1} of ${ex.phases.length}: ${ex.phase.name}` : 'Not started yet';
    bookmarks?.setSeq(result.seq, result.a.played);
    el.dataset.seq = String(result.seq);
    el.dataset.as = result.as;
    el.dataset.vs = result.vs || '';
    el.dataset.ready = 'true';
    renderPosition();
    writeUrl(Boolean(target.push));
  }

  function ensureViews() {
    const want = [['a', place.as], ['b', place.vs]];
    let changed = false;
    for (const [side, key] of want) {
      if ((views[side]?.key || '') === (key || '')) continue;
      views[side]?.destroy();
      views[side] = key ? replayView({exerciseId, token, key, label: perspectiveLabel(key, delegations)}) : null;
      changed = true;
    }
    if (changed) replace(viewsBox, views.a.el, views.b?.el);
    viewsBox.classList.toggle('is-compare', Boolean(views.b));
    renderLegend();
  }

  function renderLegend() {
    legend.hidden = !place.vs;
    if (!place.vs) return;
    const a = perspectiveLabel(place.as, delegations);
    const b = perspectiveLabel(place.vs, delegations);
    const item = (kind, words, meaning) => h('span', {class: 'rp-legend-item'},
      h('span', {class: ['rp-badge', `rp-badge--${kind}`]}, words), h('span', {class: 'rp-legend-text'}, ` ${meaning}`));
    legend.replaceChildren(h('span', {class: 'rp-legend-title'}, 'Marked:'),
      item('only', `only ${a}`, `known only to ${a}`),
      item('only', `only ${b}`, `known only to ${b}`),
      item('differs', 'seen differently', 'known to both, not alike'));
  }

  function renderPosition() {
    const seq = shown?.seq ?? 0;
    const played = playPos;
    transport.setPosition({played, seq, last: lastSeq});
    const primarySteps = timelines.a?.steps.seq || [];
    transport.setEnds({
      atStart: seq <= 0,
      atEnd: !primarySteps.length || seq >= primarySteps[primarySteps.length - 1],
      hasPrevMoment: Boolean(nextMoment(moments, seq, place.kind, -1)),
      hasNextMoment: Boolean(nextMoment(moments, seq, place.kind, 1)),
    });
    momentsView.render(moments, seq, labels());
    if (!playing) charts.setCursor(played);
  }

  function labels() {
    const out = {};
    for (const key of [place.as, place.vs].filter(Boolean)) out[key] = perspectiveLabel(key, delegations);
    return out;
  }

  // ---- perspectives --------------------------------------------------------------------------------
  function learnDelegations(list) {
    delegations = list.map((d) => ({id: d.id, name: d.name}));
    allowed = allowedPerspectives(who, delegations);
    for (const v of Object.values(views)) {
      if (v) v.el.querySelector('.rp-view-name').textContent = perspectiveLabel(v.key, delegations);
    }
    renderSelects();
    renderLegend();
    updateCharts();
  }

  function refuse() {
    banner(shell.banners, {title: 'That perspective is not open to you', kind: 'alert',
                           text: `You may replay this exercise as ${allowed.map((k) => perspectiveLabel(k, delegations)).join(' or ')}.`});
  }

  function renderSelects() {
    const option = (key, selected) => h('option', {value: key, selected}, optionLabel(key, delegations));
    asSelect.replaceChildren(...allowed.map((key) => option(key, key === place.as)));
    vsSelect.replaceChildren(h('option', {value: '', selected: !place.vs}, 'Nobody (one view)'),
      ...allowed.filter((key) => key !== place.as).map((key) => option(key, key === place.vs)));
    vsField.hidden = allowed.length < 2;
  }

  function choose(as, vs, {push = true, seq = position()} = {}) {
    const refused = [as, vs].filter((key) => key && !allowed.includes(key));
    if (refused.length) refuse();
    if (!allowed.includes(as)) as = defaultPerspective(who);
    if (vs && (vs === as || !allowed.includes(vs))) vs = '';
    if (as === place.as && vs === place.vs) {
      seekSeq(seq, {push});
      return;
    }
    place.as = as;
    place.vs = vs;
    renderSelects();
    inflight?.controller.abort();
    inflight = null;
    queue = null;
    ensureViews();
    loadTimelines().then(() => want({seq, push}, {urgent: true})).catch(failed);
  }

  let timelineController = null;
  async function loadTimelines() {
    timelineController?.abort();
    const controller = new AbortController();
    timelineController = controller;
    const as = place.as;
    const vs = place.vs;
    const [a, b] = await Promise.all([fetchTimeline(exerciseId, token, as, controller.signal),
                                      vs ? fetchTimeline(exerciseId, token, vs, controller.signal) : null]);
    if (controller.signal.aborted || as !== place.as || vs !== place.vs) return;
    timelines = {a, b};
    steps = mergeSteps(a, b);
    moments = mergeMoments(a, b);
    total = Math.max(a.played, b?.played ?? 0);
    lastSeq = Math.max(a.last_seq, b?.last_seq ?? 0);
    transport.setTimeline({played: total, lastSeq, moments, labels: labels()});
    updateCharts();
    renderPosition();
  }

  /** The charts of the perspective on the left (the ladder's words and the names come with the first state). */
  function updateCharts() {
    if (!timelines.a) return;
    charts.setData({series: timelines.a.series, played: total, ladder: ladder || [],
                    label: perspectiveLabel(timelines.a.perspective, delegations)});
  }

  // ---- moving ---------------------------------------------------------------------------------------
  function seekSeq(seq, {push = true, urgent = true} = {}) {
    const target = Math.max(0, Math.min(seq, lastSeq || seq));
    playPos = playedAtSeq(steps, target);
    wantedSeq = target;
    want({seq: target, push}, {urgent});
  }

  function scrubTo(played, done) {
    playPos = played;
    const seq = seqAtPlayed(steps, played);
    transport.setPosition({played, seq: shown?.seq ?? 0, last: lastSeq});
    charts.setCursor(played);
    wantedSeq = seq;
    want({seq, push: done, keepPlayed: true}, {urgent: done});
  }

  function step(dir) {
    pause();
    // Steps add up while one is on its way; a seek still waiting to be sent is where they start from.
    queue = queue && 'steps' in queue ? {...queue, steps: queue.steps + dir} : {steps: dir, from: queue?.seq, push: false};
    pump();
  }

  function jump(dir) {
    const found = nextMoment(moments, position(), place.kind, dir);
    if (found) {
      seekSeq(found.seq, {push: true});
    } else {
      const kind = place.kind === 'all' ? 'moment' : place.kind;
      toast(`No ${dir > 0 ? 'later' : 'earlier'} ${kind} from this perspective.`, {timeout: 3000});
    }
  }

  function setSpeed(speed) {
    place.speed = SPEEDS.includes(speed) ? speed : 1;
    transport.setSpeed(place.speed);
    writeUrl(false);
  }

  function setKind(kind) {
    place.kind = kind;
    transport.setKind(kind);
    momentsView.setKind(kind);
    renderPosition();
    writeUrl(false);
  }

  function play() {
    if (playing) return;
    const lastStep = steps.seq[steps.seq.length - 1] ?? 0;
    if ((shown?.seq ?? 0) >= lastStep || playPos >= total) {
      seekSeq(seqAtPlayed(steps, 0), {push: false});  // at the end: play again from the start
      playPos = 0;
    } else {
      wantedSeq = shown?.seq ?? 0;
    }
    playing = true;
    lastTick = performance.now();
    transport.setPlaying(true);
    ticker = setInterval(tick, TICK_MS);
  }

  function pause() {
    if (!playing) return;
    playing = false;
    clearInterval(ticker);
    ticker = null;
    transport.setPlaying(false);
    if (shown) playPos = Math.min(playPos, total);
    renderPosition();
    charts.setCursor(playPos);
    writeUrl(false);
  }

  function tick() {
    const now = performance.now();
    playPos = Math.min(total, playPos + ((now - lastTick) / 1000) * place.speed);
    lastTick = now;
    const end = playPos >= total;
    const seq = end ? steps.seq[steps.seq.length - 1] ?? 0 : seqAtPlayed(steps, playPos);
    if (seq !== wantedSeq) {
      wantedSeq = seq;
      want({seq, push: false, keepPlayed: true});
    }
    transport.setPosition({played: playPos, seq: shown?.seq ?? 0, last: lastSeq});
    if (now - lastCursor >= CURSOR_MS) {
      lastCursor = now;
      charts.setCursor(playPos);
    }
    if (end) {
      playing = false;  // the last state is on its way: stop here
      clearInterval(ticker);
      ticker = null;
      transport.setPlaying(false);
      charts.setCursor(playPos);
    }
  }

  // ---- the address: a link opens this moment; back and forward move through what was visited ----------
  function writeUrl(push) {
    if (!shown) return;  // the address keeps the moment asked for until it is on screen
    const hash = placeFragment(place);
    if (hash === location.hash) return;
    history[push ? 'pushState' : 'replaceState'](null, '', `${location.pathname}${hash}`);
  }

  window.addEventListener('hashchange', () => {
    const params = fragment();
    const next = readPlace(params);
    if (params.get('token') || (next.exercise && next.exercise !== exerciseId) || next.code !== place.code) {
      location.reload();
      return;
    }
    pause();
    if (next.speed !== place.speed) setSpeed(next.speed);
    if (next.kind !== place.kind) setKind(next.kind);
    if (next.tab !== place.tab) shell.select(next.tab);
    place.channel = next.channel;
    choose(next.as || place.as, next.vs, {push: false, seq: next.seq ?? 0});
  });

  // ---- keyboard: space, ← →, shift+← → (never while typing or choosing) -------------------------------
  document.addEventListener('keydown', (e) => {
    if (e.defaultPrevented || e.ctrlKey || e.metaKey || e.altKey) return;
    const target = e.target instanceof Element ? e.target : null;
    if (target?.closest('input, textarea, select, [contenteditable]:not([contenteditable="false"]), [role="tab"]')) return;
    if (e.key === ' ') {
      if (target?.closest('button, a, summary')) return;  // the focused control's own Space
      e.preventDefault();
      if (playing) pause(); else play();
    } else if (e.key === 'ArrowLeft' || e.key === 'ArrowRight') {
      e.preventDefault();
      const dir = e.key === 'ArrowRight' ? 1 : -1;
      if (e.shiftKey) jump(dir); else step(dir);
    }
  });
  window.addEventListener('pagehide', () => {
    pause();
    umpire?.conn.stop();
  });

  // ---- start -----------------------------------------------------------------------------------------
  transport.setSpeed(place.speed);
  transport.setKind(place.kind);
  momentsView.setKind(place.kind);
  renderSelects();
  if ((asked.as && asked.as !== place.as) || (asked.vs && asked.vs !== place.vs)) refuse();
  try {
    await loadTimelines();
  } catch (err) {
    if (err.status === 403 || err.status === 400) {
      // The perspective asked for is not this token's to take: fall back to its own.
      banner(shell.banners, {title: 'That perspective is not open to you', text: err.message, kind: 'alert'});
      place.as = defaultPerspective(who);
      place.vs = '';
      renderSelects();
      try {
        await loadTimelines();
      } catch (again) {
        messagePage(root, {title: 'The replay could not be loaded', text: again.message,
                           actions: [h('a', {href: '/', class: 'btn'}, 'Go to the start page')]});
        return;
      }
    } else {
      messagePage(root, {title: 'The replay could not be loaded', text: err.message,
                         actions: [h('a', {href: '/', class: 'btn'}, 'Go to the start page')]});
      return;
    }
  }
  const start = place.seq === null ? 0 : Math.min(place.seq, lastSeq);
  playPos = playedAtSeq(steps, start);
  want({seq: start, push: false}, {urgent: true});
}

function optionLabel(key, delegations) {
  const name = perspectiveLabel(key, delegations);
  return key === 'umpire' || key === 'public' ? `${name} (${perspectiveHint(key)})` : name;
}

function consoleHref(who, exerciseId, code) {
  const id = encodeURIComponent(exerciseId);
  if (CONTROL.has(who.role)) return `/umpire#exercise=${id}`;
  if (who.role === 'delegation') return `/play#exercise=${id}`;
  return code ? `/observe#code=${encodeURIComponent(code)}` : '/';
}

