// Words for what happened: one line (and an optional detail) per event, in the exercise's language.
// Everything returned is plain text; views insert it with text nodes.

import {formatClockTime, parseTime} from './clock.js';
import {humanise} from './store.js';

/** A day and a time of day, written one way everywhere (the clock's 24-hour HH:MM): "2026-11-30 08:27". */
export function formatDateTime(iso) {
  const t = parseTime(iso);
  if (Number.isNaN(t)) return '';
  const d = new Date(t);
  const day = `${d.getFullYear()}-${String(d.getMonth() + 1).padStart(2, '0')}-${String(d.getDate()).padStart(2, '0')}`;
  return `${day} ${formatClockTime(iso)}`;
}

function signed(n) {
  return n > 0 ? `+${n}` : `${n}`;
}

/** "Escalation risk −5; trust +5, readiness +1 with those concerned" */
export function describeEffects(effects, model) {
  if (!effects) return '';
  const parts = [];
  for (const [id, delta] of Object.entries(effects.indicators || {})) {
    parts.push(`${model.indicatorName(id)} ${signed(delta)}`);
  }
  if (effects.trust) parts.push(`trust ${signed(effects.trust)}`);
  if (effects.readiness) parts.push(`readiness ${signed(effects.readiness)}`);
  return parts.join('; ');
}

/**
 * {kind, title, detail} for one event: the server's own words (`summary`, made by the event's slice in
 * the engine), so every event type reads the same in every console, replay and export. `detail` is left
 * out where it is the event's own text (a message, a card, an inject).
 */
export function describeEvent(event) {
  const s = event.summary;
  if (!s) return {kind: 'other', title: humanise(event.type), detail: null, people: []};
  return {kind: s.kind, title: s.title, detail: s.detail ?? event.data?.text ?? null, people: peopleWords(event)};
}

// The fields of an event's data that hold words people typed (a participant's name, a message's author, a
// proposal's or an inject's title, a signer, a sender).
const PEOPLE_FIELDS = ['name', 'author', 'title', 'signer', 'sender'];

/** What people typed that the one-line summary of `event` may quote: to be isolated in it (dom.isolate). */
export function peopleWords(event) {
  const d = event.data || {};
  const words = PEOPLE_FIELDS.map((k) => d[k]);
  if (d.row && typeof d.row === 'object') words.push(d.row.title);
  return words.filter((w) => typeof w === 'string' && w.trim());
}

/** Event kinds shown in a "public record" (projector): no chat, no presence. */
export const RECORD_KINDS = new Set(['phase', 'inject', 'signal', 'proposal', 'agreement', 'alert', 'channel',
                                     'indicator', 'clock']);
