// The HTTP side of the page. The access token lives in this module's memory
// only; the refresh token is an HttpOnly cookie the server sets on login and
// rotates on refresh, which this script can neither read nor leak. Refresh
// tokens in answers are dropped unread.

let access = null; // { token, expiresAt (ms) }
let refreshing = null; // the refresh in flight, shared by every caller

/** An answer that is not 2xx, carrying the RFC 9457 problem. */
export class ApiError extends Error {
  constructor(status, problem) {
    super((problem && problem.detail) || `request failed (${status})`);
    this.status = status;
    this.code = (problem && problem.code) || "";
    this.progress = problem ? problem.progress : undefined;
  }
}

function remember(tokens) {
  access = { token: tokens.access_token, expiresAt: Date.now() + tokens.expires_in * 1000 };
  return access.token;
}

async function send(method, path, body, token) {
  const headers = { Accept: "application/json" };
  if (body !== undefined) headers["Content-Type"] = "application/json";
  if (token) headers.Authorization = "Bearer " + token;
  const res = await fetch(path, {
    method,
    headers,
    body: body === undefined ? undefined : JSON.stringify(body),
    credentials: "same-origin",
    cache: "no-store",
  });
  if (res.status === 204) return { res, data: null };
  const data = await res.json().catch(() => null);
  return { res, data };
}

// Refreshes run one at a time across every tab of this browser: the cookie
// is shared, and presenting a refresh token another tab has just rotated
// would look like theft to the server and end every session.
function exclusive(fn) {
  if (navigator.locks && navigator.locks.request) {
    return navigator.locks.request("mangahub-refresh", fn);
  }
  return fn();
}

/** Trades the refresh cookie for a new access token. */
export function refresh() {
  if (!refreshing) {
    refreshing = exclusive(async () => {
      const { res, data } = await send("POST", "/auth/refresh");
      if (!res.ok) {
        access = null;
        throw new ApiError(res.status, data);
      }
      return remember(data);
    }).finally(() => {
      refreshing = null;
    });
  }
  return refreshing;
}

/** A valid access token, refreshed when it is about to expire. */
export async function accessToken() {
  if (access && access.expiresAt - Date.now() > 30_000) return access.token;
  return refresh();
}

/** Calls the JSON API; one 401 is answered by a refresh and a retry. */
export async function api(method, path, body) {
  let { res, data } = await send(method, path, body, await accessToken());
  if (res.status === 401) {
    access = null;
    ({ res, data } = await send(method, path, body, await refresh()));
  }
  if (!res.ok) throw new ApiError(res.status, data);
  return data;
}

export async function login(username, password) {
  const { res, data } = await send("POST", "/auth/login", { username, password });
  if (!res.ok) throw new ApiError(res.status, data);
  remember(data);
  return { user_id: data.user_id, username: data.username };
}

export async function register(username, email, password) {
  const { res, data } = await send("POST", "/auth/register", { username, email, password });
  if (!res.ok) throw new ApiError(res.status, data);
  return data;
}

export async function logout() {
  access = null;
  // The server revokes the cookie's token and clears the cookie.
  await send("POST", "/auth/logout").catch(() => {});
}

/** True when the session is over (the refresh cookie no longer works). */
export function sessionLost(err) {
  return err instanceof ApiError && err.status === 401;
}
