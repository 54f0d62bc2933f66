// The replay's transport: play/pause, speed, step by event, jump by moment, and the scrubber over played time
// with the moments marked on it. It only reports what people do (the screen decides what follows).

import {h, setStyle, uid} from '../lib/dom.js';
import {formatPlayed, KINDS, SPEEDS} from '../lib/replay.js';

/**
 * @param {object} o
 * @param {() => void} o.onPlay  toggle play/pause
 * @param {(dir: number) => void} o.onStep  previous (-1) or next (1) event
 * @param {(dir: number) => void} o.onJump  previous or next moment of the chosen kind
 * @param {(played: number, done: boolean) => void} o.onScrub  the scrubber moved (done: released)
 * @param {(seq: number) => void} o.onMoment  a moment's mark was clicked
 * @param {(speed: number) => void} o.onSpeed
 * @param {(kind: string) => void} o.onKind
 */
export function transportBar({onPlay, onStep, onJump, onScrub, onMoment, onSpeed, onKind}) {
  const icon = (text) => h('span', {class: 'rp-icon', 'aria-hidden': 'true'}, text);
  const play = h('button', {type: 'button', class: 'btn btn--primary rp-play', dataset: {key: 'rp-play'},
                            'aria-label': 'Play', on: {click: () => onPlay()}}, icon('▶'), h('span', {class: 'rp-play-text'}, 'Play'));
  const prev = h('button', {type: 'button', class: 'btn rp-step', 'aria-label': 'Previous event', title: 'Previous event (←)',
                            dataset: {key: 'rp-prev'}, on: {click: () => onStep(-1)}}, icon('◀'), h('span', {class: 'rp-btn-text'}, 'Event'));
  const next = h('button', {type: 'button', class: 'btn rp-step', 'aria-label': 'Next event', title: 'Next event (→)',
                            dataset: {key: 'rp-next'}, on: {click: () => onStep(1)}}, h('span', {class: 'rp-btn-text'}, 'Event'), icon('▶'));
  const speedId = uid('speed');
  const speed = h('select', {id: speedId, class: 'select-inline rp-speed', on: {change: () => onSpeed(Number(speed.value))}},
    ...SPEEDS.map((s) => h('option', {value: String(s)}, `${s}×`)));
  const kindId = uid('kind');
  const kind = h('select', {id: kindId, class: 'select-inline rp-kind', on: {change: () => onKind(kind.value)}},
    ...KINDS.map((k) => h('option', {value: k.id}, k.label)));
  const jumpPrev = h('button', {type: 'button', class: 'btn btn--small rp-jump rp-jump--prev', dataset: {key: 'rp-jump-prev'},
                                on: {click: () => onJump(-1)}}, icon('«'), h('span', {class: 'rp-btn-text'}, 'Previous'));
  const jumpNext = h('button', {type: 'button', class: 'btn btn--small rp-jump rp-jump--next', dataset: {key: 'rp-jump-next'},
                                on: {click: () => onJump(1)}}, h('span', {class: 'rp-btn-text'}, 'Next'), icon('»'));

  const time = h('output', {class: 'rp-time num', 'data-testid': 'replay-time', 'aria-live': 'off'}, '0:00:00');
  const total = h('span', {class: 'rp-total num'}, '0:00:00');
  const seqOut = h('output', {class: 'rp-seq num', 'data-testid': 'replay-seq'}, '#0');
  const lastSeq = h('span', {class: 'rp-last num'}, '0');

  const scrubId = uid('scrub');
  const scrub = h('input', {type: 'range', id: scrubId, class: 'rp-scrub', min: '0', max: '1', step: '1', value: '0',
                            'aria-label': 'Played time', 'aria-valuetext': '0:00:00'});
  const marks = h('div', {class: 'rp-marks', 'aria-hidden': 'true'});
  let dragging = false;
  scrub.addEventListener('input', () => {
    dragging = true;
    onScrub(Number(scrub.value), false);
  });
  scrub.addEventListener('change', () => {
    dragging = false;
    onScrub(Number(scrub.value), true);
  });
  marks.addEventListener('click', (e) => {
    const mark = e.target.closest('.rp-mark');
    if (mark) onMoment(Number(mark.dataset.seq));
  });

  const el = h('div', {class: 'rp-transport', role: 'group', 'aria-label': 'Replay controls'},
    h('div', {class: 'rp-row rp-row--buttons'},
      h('div', {class: 'rp-buttons'}, prev, play, next),
      h('div', {class: 'inline-field rp-speed-field'}, h('label', {for: speedId}, 'Speed'), speed),
      h('p', {class: 'rp-where'},
        h('span', {class: 'rp-where-time'}, time, h('span', {class: 'muted'}, ' / '), total),
        h('span', {class: 'rp-where-seq'}, h('span', {class: 'muted'}, 'event '), seqOut, h('span', {class: 'muted'}, ' of '), lastSeq)),
      h('div', {class: 'rp-jumps', role: 'group', 'aria-label': 'Jump to a moment'},
        h('label', {for: kindId, class: 'rp-jump-label'}, 'Jump to'), kind, jumpPrev, jumpNext)),
    h('div', {class: 'rp-row rp-row--scrub'},
      h('label', {for: scrubId, class: 'sr-only'}, 'Played time'),
      h('div', {class: 'rp-scrub-box'}, scrub, marks)));

  let max = 1;
  let one = 'moment';
  function labelJumps(k) {
    one = KINDS.find((x) => x.id === k)?.one || 'moment';
    jumpPrev.setAttribute('aria-label', `Previous ${one}`);
    jumpPrev.title = `Previous ${one} (Shift+←)`;
    jumpNext.setAttribute('aria-label', `Next ${one}`);
    jumpNext.title = `Next ${one} (Shift+→)`;
  }
  labelJumps('all');

  return {
    el,
    scrub,
    /** The played length, and the moments to mark on the scrubber ({seq, played, kind, title, only}). */
    setTimeline({played, lastSeq: last, moments, labels = {}}) {
      max = Math.max(1, Math.ceil(played));
      scrub.max = String(max);
      total.textContent = formatPlayed(played);
      lastSeq.textContent = String(last);
      marks.replaceChildren(...moments.map((m) => {
        const mark = h('span', {class: ['rp-mark', `rp-mark--${m.kind}`, m.only && 'rp-mark--only'],
                                title: `${formatPlayed(m.played)} · #${m.seq} · ${m.title}${m.only ? ` (only ${labels[m.only] || m.only})` : ''}`,
                                dataset: {seq: m.seq, kind: m.kind}});
        setStyle(mark, '--at', `${Math.min(100, (m.played / max) * 100)}%`);
        return mark;
      }));
    },
    /** Where the replay stands: `played` seconds (the scrubber), `seq` (the state shown). */
    setPosition({played, seq, last}) {
      if (!dragging) scrub.value = String(Math.min(max, played));
      time.textContent = formatPlayed(played);
      seqOut.textContent = `#${seq}`;
      if (last !== undefined) lastSeq.textContent = String(last);
      scrub.setAttribute('aria-valuetext', `${formatPlayed(played)} played, event ${seq} of ${lastSeq.textContent}`);
    },
    setPlaying(playing) {
      play.setAttribute('aria-label', playing ? 'Pause' : 'Play');
      play.title = `${playing ? 'Pause' : 'Play'} (Space)`;
      play.querySelector('.rp-icon').textContent = playing ? '❚❚' : '▶';
      play.querySelector('.rp-play-text').textContent = playing ? 'Pause' : 'Play';
      el.classList.toggle('is-playing', playing);
    },
    setSpeed(s) {
      speed.value = String(s);
    },
    setKind(k) {
      kind.value = k;
      labelJumps(k);
    },
    /** Whether there is a previous/next event and moment to go to. */
    setEnds({atStart, atEnd, hasPrevMoment, hasNextMoment}) {
      prev.disabled = atStart;
      next.disabled = atEnd;
      jumpPrev.disabled = !hasPrevMoment;
      jumpNext.disabled = !hasNextMoment;
    },
  };
}
