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
export const createExercise = (deck, title) => api('/api/exercises', {method: 'POST', body: title ? {deck, title} : {deck}});
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
