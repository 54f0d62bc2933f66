// Server time and the phase countdown. The local clock may be off by minutes on a school laptop,
// so every remaining time is computed on the server's clock: offset = server_time - local time at sync.

export function parseTime(iso) {
  if (!iso) return NaN;
  // Python's isoformat has microseconds; keep milliseconds for every browser's parser.
  return Date.parse(String(iso).replace(/(\.\d{3})\d+/, '$1'));
}

export class ServerClock {
  constructor() {
    this.offsetMs = 0;
  }

  sync(serverTimeIso) {
    const server = parseTime(serverTimeIso);
    if (!Number.isNaN(server)) this.offsetMs = server - Date.now();
  }

  now() {
    return Date.now() + this.offsetMs;
  }

  /** Seconds left on the exercise clock {running, remaining, at} now. */
  remaining(clock) {
    if (!clock) return 0;
    if (!clock.running) return Math.max(0, clock.remaining);
    const at = parseTime(clock.at);
    const elapsed = Number.isNaN(at) ? 0 : (this.now() - at) / 1000;
    return Math.max(0, clock.remaining - elapsed);
  }
}

export function formatDuration(seconds) {
  const s = Math.max(0, Math.ceil(seconds));
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const sec = s % 60;
  const mm = String(m).padStart(h ? 2 : 1, '0');
  const ss = String(sec).padStart(2, '0');
  return h ? `${h}:${mm}:${ss}` : `${mm}:${ss}`;
}

/** 24-hour HH:MM: the one way times of day are shown (chat, timeline, projector). */
export function formatClockTime(iso) {
  const t = parseTime(iso);
  if (Number.isNaN(t)) return '';
  const d = new Date(t);
  return `${String(d.getHours()).padStart(2, '0')}:${String(d.getMinutes()).padStart(2, '0')}`;
}

// One ticker for every countdown on the page.
const tickers = new Set();
let interval = null;

export function onTick(fn) {
  tickers.add(fn);
  if (!interval) {
    interval = setInterval(() => {
      for (const t of tickers) t();
    }, 250);
  }
  fn();
  return () => {
    tickers.delete(fn);
    if (!tickers.size) {
      clearInterval(interval);
      interval = null;
    }
  };
}
