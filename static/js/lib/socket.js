// The live connection: connect with a token, `resume` from the last event seen, take `update`s as they
// come, reconnect by itself, and say what it is doing (status) so the page can show it.
//
// Protocol (docs/protocol.md): after `connect` the client emits `resume` {last_seq}; the server answers
// with one `sync` {state, last_seq, server_time, build} and the events it missed (`update`s marked `history`,
// already reflected in the state; after a long gap most of them come before the sync), then live
// `update`s {seq, events, state: patch}, each carrying what changed in this viewer's state. Nothing is
// ever requested because an update arrived.

import {io} from '/static/vendor/socket.io.esm.min.js';
import {storage} from './store.js';

// Which build of this page is loaded (static/index.html, filled in by the server: facilitator/pages.py).
const PAGE_BUILD = document.querySelector('meta[name="facilitator-build"]')?.content || '';

const COMMAND_TIMEOUT_MS = 10000;   // one attempt at a command (or a resume)
const COMMAND_GIVE_UP_MS = 120000;  // keep resending a command (same command_id) this long
const OUTBOX_MAX_AGE_MS = 15 * 60 * 1000;  // a command left unanswered by a closed page is resent this long after

export const STATUS = {
  CONNECTING: 'connecting',
  LIVE: 'live',
  RECONNECTING: 'reconnecting',
  REFUSED: 'refused',
};

export class Connection {
  /**
   * @param {object} o
   * @param {string} o.token
   * @param {(sync: object, info: {first: boolean}) => void} o.onSync
   * @param {(update: object, history: boolean) => void} o.onUpdate
   * @param {(status: string, detail: object) => void} o.onStatus
   * @param {string} [o.scope]  where this viewer's unanswered commands are kept (localStorage), across reloads
   * @param {(ack: object, payload: object) => void} [o.onResent]  the answer to a command a previous page left
   */
  constructor({token, acting, onSync, onUpdate, onStatus, scope, onResent}) {
    this.token = token;
    this.acting = acting || null;  // exercise control playing a delegation nobody plays (auth `as`)
    this.scope = scope;
    this.onResent = onResent || (() => {});
    this.onSync = onSync;
    this.onUpdate = onUpdate;
    this.onStatus = onStatus || (() => {});
    this.lastSeq = null;      // highest seq seen (sync or update); null before the first sync
    this.synced = false;
    this.everConnected = false;
    this.reconnecting = false;
    this.missed = 0;          // history events received since the latest resume
    this.status = STATUS.CONNECTING;
    this.attempt = 0;
    this.held = [];           // commands waiting their turn after a `rate_limited`, in the order they were sent
  }

  start() {
    this.socket = io({
      // Read at every (re)connection: a re-issued umpire link replaces `this.token` for the next one.
      auth: (send) => send(this.acting ? {token: this.token, as: this.acting} : {token: this.token}),
      // WebSocket first (no sticky sessions needed behind several server processes); long-polling
      // only where a network lets no WebSocket through.
      transports: ['websocket', 'polling'],
      tryAllTransports: true,
      reconnectionDelay: 500,
      reconnectionDelayMax: 4000,
      randomizationFactor: 0.3,
      timeout: 8000,
    });
    const s = this.socket;
    s.on('connect', () => this.resume({reconnected: this.everConnected}));
    s.once('connect', () => this.resendLeftovers());
    s.on('sync', (msg) => this.handleSync(msg));
    s.on('update', (msg) => this.handleUpdate(msg));
    s.on('disconnect', (reason) => {
      if (this.status === STATUS.REFUSED) return;
      this.setStatus(STATUS.RECONNECTING, {reason});
      if (reason === 'io server disconnect') setTimeout(() => s.connect(), 1000);  // not automatic in that case
    });
    s.on('connect_error', (err) => {
      if (isRefusal(err)) {
        this.setStatus(STATUS.REFUSED, {message: refusalMessage(err)});
        s.disconnect();
        return;
      }
      this.setStatus(this.everConnected ? STATUS.RECONNECTING : STATUS.CONNECTING, {reason: err.message});
    });
    s.io.on('reconnect_attempt', (n) => {
      this.attempt = n;
      this.setStatus(STATUS.RECONNECTING, {attempt: n});
    });
    return this;
  }

  stop() {
    clearTimeout(this.resumeTimer);
    this.socket?.disconnect();
  }

  get connected() {
    return Boolean(this.socket?.connected) && this.synced;
  }

  setStatus(status, detail = {}) {
    this.status = status;
    this.onStatus(status, detail);
  }

  /** On every (re)connection: send the last seq held; the server answers with a sync and what was missed. */
  resume({reconnected = false} = {}) {
    this.reconnecting = reconnected;
    this.missed = 0;  // history may come before the sync (a long gap) as well as after it
    this.socket.timeout(COMMAND_TIMEOUT_MS).emit('resume', {last_seq: this.lastSeq}, (err, ack) => {
      if (err || !ack?.ok) {
        // No answer (or refused): try again shortly while connected (after `retry_after` if rate limited).
        clearTimeout(this.resumeTimer);
        const wait = ack?.error?.code === 'rate_limited' ? retryAfterMs(ack) : 1000;
        this.resumeTimer = setTimeout(() => this.socket?.connected && this.resume({reconnected}), wait);
        return;
      }
      if (this.reconnecting || !this.everConnected) {
        const wasReconnect = this.reconnecting;
        this.everConnected = true;
        this.reconnecting = false;
        this.attempt = 0;
        this.setStatus(STATUS.LIVE, {reconnected: wasReconnect, missed: this.missed});
      }
    });
  }

  handleSync(msg) {
    if (outdated(msg.build)) return;  // the page reloads itself
    const first = !this.synced;
    this.synced = true;
    this.lastSeq = msg.last_seq;
    this.onSync(msg, {first});
  }

  /** An update: live ({seq, events, state}) or history ({seq, events, history: true}), which a resume sends
   *  from far back before its sync, and the rest after it. */
  handleUpdate(msg) {
    if (!msg || typeof msg.seq !== 'number' || !this.synced) return;
    const history = Boolean(msg.history);
    if (!history && msg.seq <= this.lastSeq) return;  // already in the state (e.g. from several server processes)
    if (history) this.missed += msg.events?.length || 0;
    else this.lastSeq = msg.seq;
    this.onUpdate(msg, history);
  }

  /**
   * Send a command; resolves to the ack ({ok: true, seq[, duplicate]} or {ok: false, error}); never rejects.
   *
   * The command carries a `command_id` of its own. Without an answer (a timeout, a dropped connection),
   * it is sent again with the same id as soon as the connection is back: the server applies it once,
   * and answers a resend of an applied command with its original result (`duplicate`).
   */
  command(type, fields = {}) {
    return this.send({type, ...fields, command_id: newCommandId()});
  }

  /** Send a command payload (with its command_id) until it is answered; kept in the outbox meanwhile. */
  send(payload) {
    const started = Date.now();
    this.keep(payload);
    return new Promise((done) => {
      const resolve = (ack) => {
        this.forget(payload);
        done(ack);
        this.release(attempt);  // the next command held behind this one may go
      };
      const attempt = () => {
        if (this.status === STATUS.REFUSED) {
          resolve({ok: false, error: {code: 'bad_token', message: 'This link no longer opens the exercise.', fields: {}}});
        } else if (Date.now() - started > COMMAND_GIVE_UP_MS) {
          resolve({ok: false, error: {code: 'timeout', message: 'No answer from the server for two minutes. Check ' +
            'the connection, then send again: nothing is ever applied twice.', fields: {}}});
        } else if (!this.socket?.connected) {
          const retry = () => {
            clearTimeout(timer);
            this.socket?.off('connect', retry);
            attempt();
          };
          const timer = setTimeout(retry, COMMAND_GIVE_UP_MS - (Date.now() - started) + 10);
          this.socket?.on('connect', retry);
        } else {
          this.socket.timeout(COMMAND_TIMEOUT_MS).emit('command', payload, (err, ack) => {
            if (err) attempt();  // the same command_id: applied at most once
            else if (ack?.error?.code === 'rate_limited') this.hold(attempt, retryAfterMs(ack));
            else resolve(ack || {ok: false, error: {code: 'internal', message: 'No answer from the server.', fields: {}}});
          });
        }
      };
      if (this.held.length) this.held.push(attempt);  // behind those already waiting: the order stays as sent
      else attempt();
    });
  }

  // ---- rate limited: nothing was done; the same commands again, one by one in their order, once the
  // server says they may be (`retry_after`), so a burst of messages still arrives in the order typed.

  hold(attempt, wait) {
    // Refusals come back in the order the commands were sent: each joins the end of the line (the head,
    // refused again, keeps its place).
    if (!this.held.includes(attempt)) this.held.push(attempt);
    if (this.held[0] !== attempt) return;  // the head's timer sends it; the others follow it one by one
    clearTimeout(this.heldTimer);
    this.heldTimer = setTimeout(attempt, wait);
  }

  release(attempt) {
    const at = this.held.indexOf(attempt);
    if (at < 0) return;
    this.held.splice(at, 1);
    if (at === 0 && this.held.length) this.held[0]();
  }

  // ---- the outbox: commands on their way, kept where a reload finds them -------------------------------

  keep(payload) {
    if (!this.scope) return;
    const list = storage.outbox(this.scope).filter((x) => x.payload.command_id !== payload.command_id);
    storage.saveOutbox(this.scope, [...list, {payload, at: Date.now()}]);
  }

  forget(payload) {
    if (!this.scope) return;
    storage.saveOutbox(this.scope, storage.outbox(this.scope).filter((x) => x.payload.command_id !== payload.command_id));
  }

  /** Commands a previous page sent and never saw answered (a reload, a closed tab): send them again, in
   * order, with their own command_id. The server applies each once, whether or not it had arrived. */
  async resendLeftovers() {
    if (!this.scope) return;
    const leftovers = storage.outbox(this.scope).filter((x) => Date.now() - x.at < OUTBOX_MAX_AGE_MS);
    storage.saveOutbox(this.scope, leftovers);
    for (const {payload} of leftovers) {
      this.onResent(await this.send(payload), payload);
    }
  }
}

/** How long a `rate_limited` answer asks to wait (`fields.retry_after`, seconds), in ms, at least 100. */
function retryAfterMs(ack) {
  const seconds = Number.parseFloat(ack?.error?.fields?.retry_after);
  return Math.max(100, Number.isFinite(seconds) ? seconds * 1000 : 1000);
}

/** A random id for a command (32 hex digits); crypto.randomUUID needs HTTPS, getRandomValues does not. */
function newCommandId() {
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  return Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');
}

// The server refuses with ConnectionRefusedError({code, message}); python-socketio passes a single
// argument on as str(arg), so the message may be that dict's repr rather than JSON: accept both.
const REFUSALS = ['bad_token', 'forbidden', 'not_found', 'invalid'];  // no retry can change these

function isRefusal(err) {
  const text = `${err?.message || ''} ${JSON.stringify(err?.data || '')}`;
  return REFUSALS.includes(err?.data?.code) || REFUSALS.some((code) => text.includes(`'code': '${code}'`))
    || text.includes('bad_token');
}

function refusalMessage(err) {
  if (err?.data?.message) return err.data.message;
  const m = /'message':\s*'([^']*)'/.exec(err?.message || '') || /"message":\s*"([^"]*)"/.exec(err?.message || '');
  return m ? m[1] : 'This link is not (or no longer) valid for any exercise.';
}


// Form controls the person changed (trusted `input` events) that are still on the page: what a reload would
// lose. A value the app filled in itself (a default reason) is not counted.
const edited = new Set();
document.addEventListener('input', (event) => {
  const el = event.target;
  if (event.isTrusted && el instanceof Element && el.matches('input, textarea, select')) edited.add(el);
}, true);

function somethingBeingEdited() {
  for (const el of edited) {
    if (!el.isConnected) edited.delete(el);
    else if (el.matches('input[type="checkbox"], input[type="radio"], select') || el.value.trim()) return true;
  }
  return false;
}

/**
 * Whether the server now serves another build of the page than the one loaded (it was upgraded since, or this
 * connection reached a process of another version): an old page could misread what the new server sends. Then
 * the page reloads itself (true), once for each change of build; but while the person has something in hand
 * (a field they changed), or when it reloaded for this change already, or cannot tell, it asks instead (a
 * `facilitator:outdated` event: app.js shows a notice with a Reload button) and goes on meanwhile.
 */
function outdated(build) {
  if (!build || !PAGE_BUILD || build === PAGE_BUILD) return false;
  const ask = () => window.dispatchEvent(new CustomEvent('facilitator:outdated'));
  if (somethingBeingEdited()) {
    ask();
    return false;
  }
  const key = `facilitator:reloaded:${PAGE_BUILD}:${build}`;
  try {
    if (sessionStorage.getItem(key)) {  // reloaded for this very change already, and still old: do not loop
      ask();
      return false;
    }
    sessionStorage.setItem(key, '1');
  } catch {  // no storage in this tab: a reload could not know it had happened
    ask();
    return false;
  }
  location.reload();
  return true;
}
