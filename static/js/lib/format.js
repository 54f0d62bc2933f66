// Words for what happened: one line (and an optional detail) per event, in the exercise's language.
// Everything returned is plain text; views insert it with text nodes.

import {humanise} from './store.js';

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
  if (!s) return {kind: 'other', title: humanise(event.type), detail: null};
  return {kind: s.kind, title: s.title, detail: s.detail ?? event.data?.text ?? null};
}

/** Event kinds shown in a "public record" (projector): no chat, no presence. */
export const RECORD_KINDS = new Set(['phase', 'inject', 'signal', 'proposal', 'agreement', 'alert', 'channel',
                                     'indicator', 'clock']);
