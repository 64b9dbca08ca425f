// The incident queue (#/incidents): open and acknowledged incidents, highest risk first, with
// the operator's actions on each row. New and changed incidents arrive over the live stream;
// an incident closed while the queue is on screen stays at the bottom, greyed, with its new
// status, until the page is left (so the operator sees what their click did).

import { actionBar } from "./incident_actions.js";
import { api, can, load, roomNames, site } from "./api.js";
import { age, h } from "./dom.js";

const RANK = { critical: 4, high: 3, medium: 2, low: 1, info: 0 };
const ACTIVE = new Set(["open", "acknowledged"]);

/** Queue order: active before closed, then risk score, severity, newest. */
export function compareIncidents(a, b) {
  const closed = Number(!ACTIVE.has(a.status)) - Number(!ACTIVE.has(b.status));
  if (closed) return closed;
  const score = (b.score ?? -1) - (a.score ?? -1);
  if (score) return score;
  const rank = (RANK[b.severity] ?? 0) - (RANK[a.severity] ?? 0);
  if (rank) return rank;
  return String(b.detected_time).localeCompare(String(a.detected_time));
}

function scoreText(score) {
  return score === null || score === undefined ? "—" : score.toFixed(2);
}

/**
 * The queue as a component, for this page and beside the floor plan on a wall screen.
 * Returns {el, destroy}.
 */
export function queue(live, { compact = false } = {}) {
  const incidents = new Map();
  const rows = new Map(); // id -> {el, parts, bar}
  let rooms = new Map();
  let doorNames = new Map();
  const list = h("ol", { class: compact ? "queue compact" : "queue", "aria-label": "Incidents" });
  const empty = h("p", { class: "muted" }, "No open incidents.");
  const el = h("div", { class: "queue-wrap" }, list, empty);

  function upsert(row) {
    incidents.set(row.id, row);
  }

  function buildRow(incident) {
    const title = h("a", { href: `#/incidents/${encodeURIComponent(incident.id)}`, class: "title" });
    const parts = {
      severity: h("span", { class: "sev" }),
      title,
      pattern: h("span", { class: "pattern muted" }),
      room: h("span", { class: "room" }),
      score: h("span", { class: "score" }),
      status: h("span", { class: "status", "data-testid": "incident-status" }),
      age: h("span", { class: "age muted" }),
    };
    const bar = actionBar(incident, { onUpdated: (r) => { upsert(r); render(); }, doorNames });
    const li = h(
      "li",
      { class: "incident", "data-testid": "incident-row", "data-incident-id": incident.id },
      h("div", { class: "row-head" }, parts.severity, title, parts.score),
      h(
        "div",
        { class: "row-meta" },
        parts.pattern,
        parts.room,
        parts.status,
        h("span", { class: "muted" }, "age ", parts.age),
      ),
      bar.el,
    );
    return { el: li, parts, bar };
  }

  function fillRow(row, incident) {
    const p = row.parts;
    p.severity.textContent = incident.severity;
    p.severity.className = `sev sev-${incident.severity}`;
    p.title.textContent = incident.title;
    p.pattern.textContent = incident.pattern ? incident.pattern.replaceAll("_", " ") : "";
    p.room.textContent = incident.room_id ? rooms.get(incident.room_id) || incident.room_id : "—";
    p.score.textContent = `risk ${scoreText(incident.score)}`;
    p.score.title = incident.risk ? `risk band: ${incident.risk}` : "";
    p.status.textContent = incident.status.replaceAll("_", " ");
    p.status.dataset.status = incident.status;
    p.age.textContent = age(incident.detected_time);
    row.el.classList.toggle("closed", !ACTIVE.has(incident.status));
    row.bar.update(incident);
  }

  function render() {
    const ordered = [...incidents.values()].sort(compareIncidents);
    for (const [id, row] of rows) {
      if (!incidents.has(id)) {
        row.el.remove();
        rows.delete(id);
      }
    }
    ordered.forEach((incident, index) => {
      let row = rows.get(incident.id);
      if (!row) {
        row = buildRow(incident);
        rows.set(incident.id, row);
      }
      fillRow(row, incident);
      // move only rows out of place, so focus inside a row survives a live update
      if (list.children[index] !== row.el) list.insertBefore(row.el, list.children[index] || null);
    });
    empty.hidden = ordered.length > 0;
  }

  async function reload() {
    const data = await load(
      "/api/incidents?status=open&status=acknowledged&limit=500",
      "the incident queue",
    );
    if (data === null) return;
    const fresh = new Set(data.map((r) => r.id));
    for (const [id, row] of incidents) {
      if (!fresh.has(id) && ACTIVE.has(row.status)) incidents.delete(id);
    }
    data.forEach(upsert);
    render();
  }

  async function refreshOne(id) {
    try {
      const row = await api(`/api/incidents/${encodeURIComponent(id)}`);
      delete row.alerts;
      if (ACTIVE.has(row.status) || incidents.has(id)) {
        upsert(row);
        render();
      }
    } catch (err) {
      if (err.status === 404) incidents.delete(id);
    }
  }

  const offs = [
    live.on("incident", (event) => refreshOne(event.incident_id)),
    live.on("resync", reload),
  ];
  const ticker = setInterval(() => {
    for (const [id, row] of rows) row.parts.age.textContent = age(incidents.get(id).detected_time);
  }, 15000);

  (async () => {
    rooms = await roomNames();
    const data = await site();
    if (data) doorNames = new Map(data.doors.map((d) => [d.id, d.name]));
    await reload();
  })();

  return {
    el,
    destroy() {
      offs.forEach((off) => off());
      clearInterval(ticker);
    },
  };
}

export function mount(root, { live }) {
  if (!can("incidents.read")) {
    root.append(h("p", {}, "Your role does not include the incident queue."));
    return () => {};
  }
  const q = queue(live);
  root.append(
    h("h2", { tabindex: "-1" }, "Incident queue"),
    h("p", { class: "muted" }, "Open and acknowledged incidents, highest risk first."),
    q.el,
  );
  return () => q.destroy();
}
