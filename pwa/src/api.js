// Thin fetch wrapper for /api/: bearer token, JSON, and errors the UI can show in Dutch.

export class ApiError extends Error {
  constructor(status, body) {
    super((body && body.message) || `Serverfout (${status})`);
    this.status = status;
    this.code = (body && body.error) || `http_${status}`;
    this.errors = body && body.errors;
  }
}

/** No answer at all: offline, server down, or connection cut. Always retryable. */
export class NetworkError extends Error {
  constructor(cause) {
    super('Geen verbinding met de server');
    this.cause = cause;
  }
}

let authHandler = () => {};
/** Called with the ApiError of every 401 (token_expired, device_revoked, invalid_token). */
export function onAuthError(handler) {
  authHandler = handler;
}

export async function api(path, { method = 'GET', token, body, raw, contentType, timeoutMs = 30000 } = {}) {
  const headers = {};
  if (token) headers.Authorization = `Bearer ${token}`;
  let payload;
  if (raw !== undefined) {
    payload = raw;
    headers['Content-Type'] = contentType;
  } else if (body !== undefined) {
    payload = JSON.stringify(body);
    headers['Content-Type'] = 'application/json';
  }
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(), timeoutMs);
  let response;
  try {
    response = await fetch(`/api${path}`, { method, headers, body: payload, signal: controller.signal, cache: 'no-store' });
  } catch (error) {
    throw new NetworkError(error);
  } finally {
    clearTimeout(timer);
  }
  let data = null;
  const type = response.headers.get('Content-Type') || '';
  if (type.includes('application/json')) {
    try { data = await response.json(); } catch { data = null; }
  }
  if (response.status >= 500 || (response.status === 404 && !data)) {
    // A proxy page or a crashed worker: treat like no answer, retry later.
    throw new NetworkError(new ApiError(response.status, data));
  }
  if (!response.ok) {
    const error = new ApiError(response.status, data);
    if (response.status === 401 && token) authHandler(error);
    throw error;
  }
  return data;
}
