// The service's HTTP API (chat.v1): JSON in, JSON out, errors as ApiError with the contract's code.

export class ApiError extends Error {
  constructor(status, code, message, retryAfter) {
    super(message || code);
    this.status = status;
    this.code = code;
    this.retryAfter = retryAfter;
  }
}

// status 0: the service could not be reached at all.
export async function call(method, path, { body, pass } = {}) {
  const headers = {};
  if (body !== undefined) headers["Content-Type"] = "application/json";
  if (pass) headers.Authorization = `Bearer ${pass}`;
  let response;
  try {
    response = await fetch(path, {
      method,
      headers,
      credentials: "same-origin", // the renewal cookie, sent by the browser to its route only
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  } catch {
    throw new ApiError(0, "unreachable", "The service cannot be reached");
  }
  if (response.status === 204) return null;
  const data = await response.json().catch(() => null);
  if (!response.ok) {
    const retryAfter = Number(response.headers.get("Retry-After")) || data?.retry_after;
    throw new ApiError(response.status, data?.error || "error", data?.message, retryAfter);
  }
  return data;
}

export const register = (email, password, name) =>
  call("POST", "/api/auth/register", { body: { email, password, name } });
// The page's renewal pass is a cookie no script can read (docs/protocol-notes.md, issue 18): the
// answers carry only the access pass.
export const login = (email, password) =>
  call("POST", "/api/auth/login", { body: { email, password, renewal: "cookie" } });
export const refresh = () => call("POST", "/api/auth/refresh", { body: { renewal: "cookie" } });
export const logout = (pass) => call("POST", "/api/auth/logout", { pass });
export const me = (pass) => call("GET", "/api/me", { pass });
export const postUsage = (pass, records) => call("POST", "/api/usage", { pass, body: { records } });
export const threads = (pass) => call("GET", "/api/threads", { pass });
export const messages = (pass, threadId) =>
  call("GET", `/api/threads/${encodeURIComponent(threadId)}/messages`, { pass });
export const runEvents = (pass, threadId, runId) =>
  call(
    "GET",
    `/api/threads/${encodeURIComponent(threadId)}/runs/${encodeURIComponent(runId)}/events`,
    { pass },
  );
export const search = (pass, words) =>
  call("GET", `/api/search?q=${encodeURIComponent(words)}`, { pass });
