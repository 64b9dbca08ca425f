// The REST client of the dashboard: same-origin fetch with the session cookie, the CSRF header
// on every state-changing request, and the API's error bodies turned into readable messages.

export const session = {
  me: null, // {user, role, permissions, csrf_token} from sign-in or /api/auth/me
  onSignedOut: null, // set by app.js: called when a request finds the session gone
};

/** Whether the signed-in user holds `permission` (the server checks again on every call). */
export function can(permission) {
  return session.me !== null && session.me.permissions.includes(permission);
}

export class ApiError extends Error {
  constructor(status, message, path) {
    super(message);
    this.status = status;
    this.path = path;
  }
}

/** The API's error body as one sentence: a string detail, or each "field: message". */
export function problemText(body, fallback) {
  if (!body || body.detail === undefined) return fallback;
  if (typeof body.detail === "string") return body.detail;
  if (Array.isArray(body.detail)) {
    return body.detail
      .map((d) => {
        const where = (d.loc || []).filter((part) => part !== "body").join(".");
        return where ? `${where}: ${d.msg}` : d.msg;
      })
      .join("; ");
  }
  return fallback;
}

/**
 * Calls the API and returns the parsed JSON body (null for an empty one). Throws ApiError with
 * the server's explanation for any non-2xx answer; a 401 also ends the session in the UI.
 */
export async function api(path, { method = "GET", body } = {}) {
  const headers = { accept: "application/json" };
  const upper = method.toUpperCase();
  if (upper !== "GET" && upper !== "HEAD" && session.me) {
    headers["X-CSRF-Token"] = session.me.csrf_token;
  }
  if (body !== undefined) headers["content-type"] = "application/json";
  let res;
  try {
    res = await fetch(path, {
      method: upper,
      headers,
      credentials: "same-origin",
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  } catch (err) {
    throw new ApiError(0, `artguard cannot be reached (${err.message}); check the network.`, path);
  }
  const text = await res.text();
  let data = null;
  if (text) {
    try {
      data = JSON.parse(text);
    } catch {
      data = null;
    }
  }
  if (res.ok) return data;
  if (res.status === 401 && path !== "/api/auth/login" && session.onSignedOut) {
    session.onSignedOut("Your session ended; sign in again.");
  }
  let message = problemText(data, `${res.status} ${res.statusText || "error"}`);
  if (res.status === 429 && res.headers.get("Retry-After")) {
    message = `${message} (try again in ${res.headers.get("Retry-After")} s)`;
  }
  throw new ApiError(res.status, message, path);
}

const errors = () => document.getElementById("errors");

/** Shows a problem in the page's alert region (screen readers announce it). */
export function showError(message) {
  const region = errors();
  if (!region) return;
  region.replaceChildren(document.createTextNode(message));
  region.hidden = false;
}

export function clearError() {
  const region = errors();
  if (!region) return;
  region.replaceChildren();
  region.hidden = true;
}

/** `api()` for a page load: the error goes to the alert region, null is returned. */
export async function load(path, what) {
  try {
    return await api(path);
  } catch (err) {
    if (err.status !== 401) showError(`Could not load ${what}: ${err.message}`);
    return null;
  }
}

let siteCache = null;

/** The site for display (GET /api/site), fetched once per sign-in; null without site.read. */
export async function site() {
  if (!can("site.read")) return null;
  if (siteCache === null) siteCache = load("/api/site", "the site").then((v) => v);
  const value = await siteCache;
  if (value === null) siteCache = null; // try again next time
  return value;
}

export function forgetSite() {
  siteCache = null;
}

/** Room id -> name, for labels ("Gallery 1" rather than "gallery-1"). */
export async function roomNames() {
  const data = await site();
  const names = new Map();
  for (const room of data ? data.rooms : []) names.set(room.id, room.name);
  names.set("outside", "outside");
  return names;
}
