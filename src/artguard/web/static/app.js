// The dashboard shell: sign-in and sign-out, the hash router, the live stream. Each page is a
// module with mount(root, ctx) -> cleanup; only the open page runs.

import { api, clearError, forgetSite, problemText, session } from "./api.js";
import { Live } from "./live.js";
import * as floor from "./floor.js";
import * as incident from "./incident.js";
import * as incidents from "./incidents.js";
import * as kpis from "./kpis_page.js";
import * as sitePage from "./site.js";

const ROUTES = [
  { pattern: /^#\/floor$/, page: floor, title: "Floor plan", nav: "#/floor" },
  { pattern: /^#\/incidents$/, page: incidents, title: "Incidents", nav: "#/incidents" },
  { pattern: /^#\/incidents\/(.+)$/, page: incident, title: "Incident", nav: "#/incidents" },
  { pattern: /^#\/kpis$/, page: kpis, title: "KPIs", nav: "#/kpis" },
  { pattern: /^#\/site$/, page: sitePage, title: "Site", nav: "#/site" },
];
const WIDE = window.matchMedia("(min-width: 1100px)");

const $ = (id) => document.getElementById(id);
const live = new Live($("live-status"));
let cleanup = null;

/** The default page: the floor plan on a wall screen, the queue on a phone. */
function home() {
  return WIDE.matches ? "#/floor" : "#/incidents";
}

function route() {
  if (session.me === null) return;
  const hash = location.hash || "";
  const match = ROUTES.map((r) => ({ r, m: r.pattern.exec(hash) })).find((x) => x.m);
  if (!match) {
    location.replace(home());
    return;
  }
  if (cleanup) cleanup();
  cleanup = null;
  clearError();
  const view = $("view");
  view.replaceChildren();
  for (const link of document.querySelectorAll("nav a")) {
    if (link.getAttribute("href") === match.r.nav) link.setAttribute("aria-current", "page");
    else link.removeAttribute("aria-current");
  }
  document.title = `${match.r.title} — artguard`;
  try {
    cleanup = match.r.page.mount(view, { live, params: match.m.slice(1) }) || null;
  } catch (err) {
    console.error(err);
    view.textContent = `This page failed to open: ${err.message}`;
  }
  // Keyboard and screen-reader users land on the new page's heading.
  const heading = view.querySelector("h2");
  if (heading && document.activeElement && !view.contains(document.activeElement)) {
    heading.focus({ preventScroll: true });
  }
}

function showSignIn(message) {
  session.me = null;
  forgetSite();
  live.stop();
  if (cleanup) cleanup();
  cleanup = null;
  $("view").replaceChildren();
  $("app-view").hidden = true;
  $("signin-view").hidden = false;
  $("whoami").hidden = true;
  $("logout").hidden = true;
  $("signin-error").textContent = message || "";
  $("username").focus();
}

async function showApp() {
  $("signin-view").hidden = true;
  $("app-view").hidden = false;
  const who = $("whoami");
  who.textContent = `${session.me.user} (${session.me.role})`;
  who.hidden = false;
  $("logout").hidden = false;
  live.start();
  try {
    const health = await api("/api/health");
    $("site-name").textContent = health && health.site ? health.site.name : "";
  } catch {
    $("site-name").textContent = "";
  }
  if (!ROUTES.some((r) => r.pattern.test(location.hash))) location.replace(home());
  else route();
}

session.onSignedOut = (message) => {
  if (session.me !== null) showSignIn(message);
};

$("login-form").addEventListener("submit", async (event) => {
  event.preventDefault();
  const error = $("signin-error");
  error.textContent = "";
  const password = $("password");
  const submit = event.submitter || $("login-form").querySelector("button[type=submit]");
  submit.disabled = true;
  try {
    session.me = await api("/api/auth/login", {
      method: "POST",
      body: { username: $("username").value, password: password.value },
    });
    password.value = "";
    await showApp();
  } catch (err) {
    password.value = "";
    error.textContent = err.status === 401 ? "Wrong username or password." : err.message;
    password.focus();
  } finally {
    submit.disabled = false;
  }
});

$("logout").addEventListener("click", async () => {
  try {
    await api("/api/auth/logout", { method: "POST" });
  } catch {
    // signed out on the server already, or unreachable: sign out here either way
  }
  showSignIn("Signed out.");
});

window.addEventListener("hashchange", route);

// The skip link must not change the hash (that is the router's): move focus instead.
document.querySelector("a.skip").addEventListener("click", (event) => {
  event.preventDefault();
  const target = session.me ? $("view") : $("username");
  target.focus();
});

(async () => {
  const res = await fetch("/api/auth/me", { credentials: "same-origin" }).catch(() => null);
  if (res && res.ok) {
    session.me = await res.json();
    await showApp();
  } else {
    const body = res && res.status !== 401 ? await res.json().catch(() => null) : null;
    showSignIn(body ? problemText(body, "") : res ? "" : "artguard cannot be reached.");
  }
})();
