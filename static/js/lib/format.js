// Words for what happened: one line (and an optional detail) per event, in the exercise's language.
// Everything returned is plain text; views insert it with text nodes.

import {humanise} from './store.js';

function signed(n) {
  return n > 0 ? `+${n}` : `${n}`;
}

function list(names) {
  if (names.length <= 1) return names.join('');
  return `${names.slice(0, -1).join(', ')} and ${names[names.length - 1]}`;
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

export function who(event, model) {
  const actor = event.actor;
  if (!actor) return 'System';
  if (actor.role === 'umpire') return 'Umpire';
  if (actor.role === 'observer') return 'Observer';
  const delegation = model.delegationName(actor.delegation);
  return actor.name ? `${actor.name} (${delegation})` : delegation;
}

/** {kind, title, detail} for one event. `kind` groups event types for styling and filtering. */
export function describeEvent(event, model) {
  const d = event.data || {};
  const name = (id) => model.delegationName(id);
  switch (event.type) {
    case 'participant_seated':
      return {kind: 'people', title: `${d.name} joined ${name(d.delegation)}`};
    case 'participant_connected':
      return {kind: 'presence', title: `${d.name} (${name(d.delegation)}) connected`};
    case 'participant_disconnected':
      return {kind: 'presence', title: `${d.name} (${name(d.delegation)}) disconnected`};
    case 'message_posted':
      return {kind: 'chat', title: `${d.author}${d.delegation ? ` (${name(d.delegation)})` : ''} in ${model.channelName(d.channel)}`,
              detail: d.text};
    case 'backchannel_opened':
      return {kind: 'channel', title: `Back-channel opened: ${list((d.delegations || []).map(name))}`};
    case 'signal_played': {
      const how = d.to?.length ? `privately to ${list(d.to.map(name))}` : 'in public';
      const toward = d.toward?.length ? `, toward ${list(d.toward.map(name))}` : '';
      return {kind: 'signal', title: `${name(d.by)} played “${d.title}” ${how}${toward}`, detail: d.text};
    }
    case 'signal_reciprocated':
      return {kind: 'signal', title: `${name(d.by)} answered ${name(d.answering)}'s “${d.title}”`};
    case 'signal_withdrawn':
      return {kind: 'signal', title: `${name(d.by)} withdrew “${d.title}”`};
    case 'indicator_changed':
      return {kind: 'indicator', title: `${d.name}: ${signed(d.delta)} → ${d.value}`, detail: d.reason};
    case 'threshold_crossed':
      return {kind: 'alert', title: `${d.name} crossed ${d.at} (now ${d.value})`, detail: d.note};
    case 'relation_changed': {
      const parts = [];
      if (d.trust_delta) parts.push(`trust ${signed(d.trust_delta)} → ${d.trust}`);
      if (d.readiness_delta) parts.push(`readiness → ${d.readiness_label}`);
      return {kind: 'relation', title: `${list((d.between || []).map(name))}: ${parts.join(', ')}`, detail: d.reason};
    }
    case 'inject_fired': {
      const to = d.to?.length ? ` (to ${list(d.to.map(name))})` : '';
      return {kind: 'inject', title: `Inject: ${d.title}${to}`, detail: d.text};
    }
    case 'phase_advanced':
      return {kind: 'phase', title: `Phase ${d.index + 1}: ${d.name} (${d.minutes} min)`, detail: d.brief};
    case 'clock_paused':
      return {kind: 'clock', title: 'Clock paused'};
    case 'clock_resumed':
      return {kind: 'clock', title: 'Clock resumed'};
    case 'clock_extended':
      return {kind: 'clock', title: `Clock extended by ${d.minutes} min`};
    case 'exercise_ended':
      return {kind: 'phase', title: 'The exercise has ended', detail: d.reason};
    case 'proposal_drafted':
      return {kind: 'proposal', title: `${name(d.drafted_by)} drafted proposal #${d.proposal} “${d.title}” at ${model.tableName(d.table)}`,
              detail: (d.clauses || []).map((c) => c.title).join('; ')};
    case 'proposal_amended':
      return {kind: 'proposal', title: `${name(d.amended_by)} amended proposal #${d.proposal} (version ${d.version})`,
              detail: d.title};
    case 'proposal_signed':
      return {kind: 'proposal', title: `${name(d.delegation)} signed proposal #${d.proposal}${d.signer ? ` (${d.signer})` : ''}`};
    case 'proposal_withdrawn':
      return {kind: 'proposal', title: `${name(d.by)} withdrew proposal #${d.proposal}`};
    case 'agreement_entered_into_force':
      return {kind: 'agreement', title: `Agreement #${d.proposal} “${d.title}” is in force`,
              detail: `Parties: ${list((d.parties || []).map(name))}`};
    case 'ceasefire_began':
      return {kind: 'agreement', title: `A cease-fire begins (agreement #${d.agreement})`, detail: d.title};
    case 'ceasefire_risk_drawn':
      return {kind: 'risk', title: `Risk drawn: ${d.title} — ${d.occurred ? 'it happens' : 'nothing happens'}`,
              detail: `probability ${Math.round(d.probability * 100)}%, roll ${Math.round(d.roll * 100)}`};
    case 'ceasefire_incident':
      return {kind: 'alert', title: `Cease-fire incident: ${d.title}`, detail: d.text};
    case 'ceasefire_collapsed':
      return {kind: 'alert', title: 'The cease-fire has collapsed'};
    default:
      return {kind: 'other', title: humanise(event.type)};
  }
}

/** Event kinds shown in a "public record" (projector): no chat, no presence. */
export const RECORD_KINDS = new Set(['phase', 'inject', 'signal', 'proposal', 'agreement', 'alert', 'channel',
                                     'indicator', 'clock']);
