// REST calls: JSON in, JSON out, one error envelope ({error: {code, message, fields}}).

export class ApiError extends Error {
  constructor(status, error) {
    super(error?.message || `Request failed (${status}).`);
    this.status = status;
    this.code = error?.code || 'http_error';
    this.fields = error?.fields || {};
  }
}

export async function api(path, {method = 'GET', body, token, signal} = {}) {
  const headers = {Accept: 'application/json'};
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  if (token) headers.Authorization = `Bearer ${token}`;
  let response;
  try {
    response = await fetch(path, {method, headers, body: body === undefined ? undefined : JSON.stringify(body),
                                  signal, credentials: 'same-origin', cache: 'no-store'});
  } catch (err) {
    if (err.name === 'AbortError') throw err;
    throw new ApiError(0, {code: 'network', message: 'The server cannot be reached. Check the connection and retry.'});
  }
  let data = null;
  try {
    data = await response.json();
  } catch {
    data = null;
  }
  if (!response.ok) throw new ApiError(response.status, data?.error);
  return data;
}

export const listScenarios = () => api('/api/scenarios');
/** Create an exercise; ``instructorKey`` when the server asks for one (``serverInfo().instructor_key``). */
export const createExercise = (deck, title, instructorKey, leaveOut = []) => api('/api/exercises', {method: 'POST',
  body: {deck, ...(title ? {title} : {}), ...(instructorKey ? {instructor_key: instructorKey} : {}),
         ...(leaveOut.length ? {leave_out: leaveOut} : {})}});
export const serverInfo = () => api('/api/server');
export const joinExercise = (code, name) => api('/api/join', {method: 'POST', body: name == null ? {code} : {code, name}});
export const whoami = (token) => api('/api/whoami', {token});

/** One page of the caller's view of the log: {events, more}. */
export function fetchEvents(exerciseId, token, {before, after, limit, channel} = {}) {
  const params = new URLSearchParams();
  if (before) params.set('before', before);
  if (after) params.set('after', after);
  if (limit) params.set('limit', limit);
  if (channel) params.set('channel', channel);
  return api(`/api/exercises/${encodeURIComponent(exerciseId)}/events?${params}`, {token});
}

// ---- exercise control over REST (docs/protocol.md, "Exercise control over REST"): exercise control's token ----

const exercisePath = (exerciseId) => `/api/exercises/${encodeURIComponent(exerciseId)}`;

/** A named umpire or assistant seat: {staff, name, role, token, url} (the link is shown once). */
export const seatStaff = (exerciseId, token, name, role) =>
  api(`${exercisePath(exerciseId)}/staff`, {method: 'POST', token, body: {name, role}});
/** A new link or code (the old one stops working): kind umpire, observer, delegation, participant or staff. */
export const reissueLink = (exerciseId, token, kind, target = null) =>
  api(`${exercisePath(exerciseId)}/links`, {method: 'POST', token, body: target == null ? {kind} : {kind, target}});
export const moveParticipant = (exerciseId, token, participant, delegation) =>
  api(`${exercisePath(exerciseId)}/participants/${encodeURIComponent(participant)}`, {method: 'POST', token, body: {delegation}});
export const removeParticipant = (exerciseId, token, participant) =>
  api(`${exercisePath(exerciseId)}/participants/${encodeURIComponent(participant)}`, {method: 'DELETE', token});
export const archiveExercise = (exerciseId, token) => api(`${exercisePath(exerciseId)}/archive`, {method: 'POST', token});
export const deleteExercise = (exerciseId, token) => api(exercisePath(exerciseId), {method: 'DELETE', token});

/** The address of a QR code (SVG, made by the server) for a link or a code. */
export const qrUrl = (data) => `/api/qr.svg?data=${encodeURIComponent(data)}`;
