// Minimal live incident queue: REST for the initial state, WebSocket for changes.
"use strict";
const incidents = new Map();
const tbody = document.getElementById("incidents");
const feed = document.getElementById("feed");
const conn = document.getElementById("conn");
const RANK = { critical: 4, high: 3, medium: 2, low: 1, info: 0 };

function cell(text, cls) {
  const td = document.createElement("td");
  td.textContent = text;
  if (cls) td.className = cls;
  return td;
}

function render() {
  const rows = [...incidents.values()]
    .filter((i) => i.status === "open" || i.status === "acknowledged")
    .sort((a, b) => RANK[b.severity] - RANK[a.severity] || (b.detected_time > a.detected_time ? 1 : -1));
  tbody.replaceChildren(...rows.map((i) => {
    const tr = document.createElement("tr");
    tr.dataset.incident = i.id;
    tr.append(cell(i.severity, `sev sev-${i.severity}`), cell(i.title), cell(i.room_id || "—"),
      cell(String(i.alert_count)), cell(i.status),
      cell(i.detected_time ? new Date(i.detected_time).toLocaleTimeString() : ""));
    const actions = document.createElement("td");
    for (const [label, path] of [["Acknowledge", "acknowledge"], ["Resolve", "resolve"], ["False alarm", "false-alarm"]]) {
      if (path === "acknowledge" && i.status !== "open") continue;
      const b = document.createElement("button");
      b.textContent = label;
      b.addEventListener("click", () => act(i.id, path));
      actions.append(b);
    }
    tr.append(actions);
    return tr;
  }));
}

async function act(id, path) {
  const actor = document.getElementById("actor").value || "operator";
  let note = null;
  if (path === "false-alarm") {
    note = prompt("Why is this a false alarm?");
    if (!note) return;
  }
  const res = await fetch(`/api/incidents/${id}/${path}`, {
    method: "POST", headers: { "content-type": "application/json" },
    body: JSON.stringify({ actor, note }),
  });
  if (res.ok) { const row = await res.json(); incidents.set(row.id, row); render(); }
  else { alert((await res.json()).detail || res.statusText); }
}

function log(text) {
  const li = document.createElement("li");
  li.textContent = `${new Date().toLocaleTimeString()} ${text}`;
  feed.prepend(li);
  while (feed.children.length > 200) feed.lastChild.remove();
}

async function load() {
  const health = await (await fetch("/api/health")).json();
  document.getElementById("site").textContent = health.site.name;
  const rows = await (await fetch("/api/incidents?status=open&status=acknowledged")).json();
  for (const row of rows) incidents.set(row.id, row);
  render();
}

function connect() {
  const ws = new WebSocket(`${location.protocol === "https:" ? "wss" : "ws"}://${location.host}/api/stream`);
  ws.onopen = () => { conn.textContent = "live"; load(); };
  ws.onclose = () => { conn.textContent = "reconnecting…"; setTimeout(connect, 2000); };
  ws.onmessage = async (msg) => {
    const ev = JSON.parse(msg.data);
    if (ev.kind === "alert") log(`${ev.severity.toUpperCase()} ${ev.title}: ${ev.reasons[0]}`);
    if (ev.kind === "incident") {
      const res = await fetch(`/api/incidents/${ev.incident_id}`);
      if (res.ok) { const row = await res.json(); incidents.set(row.id, row); render(); }
    }
    if (ev.kind === "operator_action") log(`${ev.actor}: ${ev.action} ${ev.target_id || ""}`);
  };
}

connect();
