// The live floor plan (#/floor): rooms coloured by state, artworks, cameras, doors, sensors,
// people per room, and open incidents pinned where they happen. Built once per floor as SVG;
// live events only change attributes and text, so nothing flickers and focus stays put.
// On a wide (wall) screen the incident queue sits beside the plan.

import { can, load, site } from "./api.js";
import { clock, debounce, h, s } from "./dom.js";
import { queue } from "./incidents.js";

const RECENT_ALERT_MS = 15 * 60 * 1000;
const OCCUPANCY_POLL_MS = 10000;
const HEALTH_EVERY_POLLS = 6; // device health once a minute
const ACTIVE = new Set(["open", "acknowledged"]);

/** Room state for colouring: an open incident, else an acknowledged one or a recent alert. */
export function roomState(roomId, incidents, recentAlerts, now = Date.now()) {
  const here = incidents.filter((i) => i.rooms.has(roomId));
  if (here.some((i) => i.status === "open")) return "incident";
  if (here.length) return "alert";
  const last = recentAlerts.get(roomId);
  return last && now - last < RECENT_ALERT_MS ? "alert" : "normal";
}

function extent(rooms) {
  const xs = rooms.flatMap((r) => r.polygon.map((p) => p[0]));
  const ys = rooms.flatMap((r) => r.polygon.map((p) => p[1]));
  return { minX: Math.min(...xs), maxX: Math.max(...xs), minY: Math.min(...ys), maxY: Math.max(...ys) };
}

const PER_CHAR = 0.58; // average glyph width / font size of a sans-serif face

/**
 * The room's name and people count, sized to fit the room: written upright in a tall narrow
 * room (a corridor), shortened with … when even small text does not fit.
 */
function roomLabels(room, x, y, unit) {
  const xs = room.polygon.map((p) => p[0]);
  const ys = room.polygon.map((p) => p[1]);
  const width = Math.max(...xs) - Math.min(...xs);
  const height = Math.max(...ys) - Math.min(...ys);
  const upright = height > 2 * width && width < PER_CHAR * unit * 1.6 * room.name.length;
  const roomLen = 0.9 * (upright ? height : width);
  let text = room.name;
  let size = Math.min(unit * 1.6, roomLen / (PER_CHAR * text.length));
  if (size < unit * 1.1 && text.includes(": ")) {
    text = text.slice(0, text.indexOf(": ")); // "Gallery 1: Turner and Constable" -> "Gallery 1"
    size = Math.min(unit * 1.6, roomLen / (PER_CHAR * text.length));
  }
  if (size < unit * 0.9) {
    size = unit * 0.9;
    const fits = Math.max(3, Math.floor(roomLen / (PER_CHAR * size)));
    if (fits < text.length) text = `${text.slice(0, fits - 1)}…`;
  }
  const small = Math.max(unit * 0.8, Math.min(size, unit * 1.3, roomLen / (PER_CHAR * 11)));
  const turn = upright ? `rotate(-90 ${x} ${y})` : null;
  const name = s("text", { x, y, class: "room-name", "text-anchor": "middle", "font-size": size.toFixed(3), transform: turn }, text);
  const occupancy = s("text", {
    x, y: (Number(y) + small * 1.2).toFixed(3), class: "occupancy", "text-anchor": "middle",
    "font-size": small.toFixed(3), "data-testid": "occupancy", transform: turn,
  });
  return { name, occupancy };
}

/**
 * The SVG of one floor and the handles to update it. Site y runs north; SVG y runs down,
 * so y is flipped. Sizes are in metres, scaled to the floor's size.
 */
function buildFloor(data, floorId) {
  const rooms = data.rooms.filter((r) => r.floor === floorId);
  const onFloor = (item) => item.floor === floorId && item.position;
  const box = extent(rooms);
  const span = Math.max(box.maxX - box.minX, box.maxY - box.minY, 1);
  const unit = span / 60; // marker size
  const margin = unit * 2;
  const X = (x) => (x - box.minX + margin).toFixed(3);
  const Y = (y) => (box.maxY - y + margin).toFixed(3);
  const width = box.maxX - box.minX + 2 * margin;
  const height = box.maxY - box.minY + 2 * margin;
  const floorName = (data.floors.find((f) => f.id === floorId) || { name: floorId }).name;
  const svg = s("svg", {
    id: "floorplan",
    viewBox: `0 0 ${width.toFixed(3)} ${height.toFixed(3)}`,
    role: "group",
    "aria-label": `Floor plan: ${floorName}`,
    "font-size": (unit * 1.6).toFixed(3),
  });
  const handles = { rooms: new Map(), doors: new Map(), cameras: new Map(), sensors: new Map(), occupancy: new Map(), labels: new Map() };
  const layers = {
    rooms: s("g", { class: "layer-rooms" }),
    artworks: s("g", { class: "layer-artworks" }),
    devices: s("g", { class: "layer-devices" }),
    pins: s("g", { class: "layer-pins" }),
  };

  for (const room of rooms) {
    const points = room.polygon.map(([x, y]) => `${X(x)},${Y(y)}`).join(" ");
    const [lx, ly] = room.label;
    const title = s("title", { text: room.name });
    const { name, occupancy } = roomLabels(room, X(lx), Y(ly), unit);
    const g = s(
      "g",
      { "data-room-id": room.id, class: "room room-normal", "data-state": "normal" },
      title,
      s("polygon", { points }),
      name,
      occupancy,
    );
    handles.rooms.set(room.id, { g, title, name: room.name, counted: room.occupancy_counted });
    handles.occupancy.set(room.id, occupancy);
    handles.labels.set(room.id, [Number(X(lx)), Number(Y(ly))]);
    layers.rooms.append(g);
  }

  for (const art of data.artworks.filter(onFloor)) {
    const [x, y] = art.position;
    const r = unit * (0.6 + 0.15 * art.value_tier);
    const cx = Number(X(x));
    const cy = Number(Y(y));
    layers.artworks.append(
      s(
        "g",
        { "data-artwork-id": art.id, class: `artwork tier-${art.value_tier}` },
        s("title", { text: `${art.title} — ${art.artist} (value tier ${art.value_tier})` }),
        s("polygon", { points: `${cx},${cy - r} ${cx + r},${cy} ${cx},${cy + r} ${cx - r},${cy}` }),
      ),
    );
  }

  for (const door of data.doors.filter(onFloor)) {
    const [x, y] = door.position;
    const size = unit * 1.3;
    const title = s("title", { text: `${door.name}: state unknown` });
    const g = s(
      "g",
      { "data-door-id": door.id, class: "door", "data-state": "unknown" },
      title,
      s("rect", {
        x: (Number(X(x)) - size / 2).toFixed(3), y: (Number(Y(y)) - size / 2).toFixed(3),
        width: size.toFixed(3), height: size.toFixed(3), rx: (size / 5).toFixed(3),
      }),
    );
    handles.doors.set(door.id, { g, title, name: door.name });
    layers.devices.append(g);
  }

  for (const cam of data.cameras.filter(onFloor)) {
    const [x, y] = cam.position;
    const cx = Number(X(x));
    const cy = Number(Y(y));
    const r = unit * 0.9;
    const title = s("title", { text: `Camera ${cam.name}` });
    const g = s(
      "g",
      { "data-camera-id": cam.id, class: "camera", "data-state": "unknown" },
      title,
      s("polygon", { points: `${cx - r},${cy - r} ${cx + r},${cy} ${cx - r},${cy + r}` }),
    );
    handles.cameras.set(cam.id, { g, title, name: cam.name });
    layers.devices.append(g);
  }

  for (const sensor of data.sensors.filter(onFloor)) {
    const [x, y] = sensor.position;
    const title = s("title", { text: `${sensor.type.replaceAll("_", " ")} sensor ${sensor.id}` });
    const g = s(
      "g",
      { "data-sensor-id": sensor.id, class: `sensor sensor-${sensor.type}`, "data-state": "unknown" },
      title,
      s("circle", { cx: X(x), cy: Y(y), r: (unit * 0.5).toFixed(3) }),
    );
    handles.sensors.set(sensor.id, { g, title, name: `${sensor.type.replaceAll("_", " ")} sensor ${sensor.id}` });
    layers.devices.append(g);
  }

  svg.append(layers.rooms, layers.artworks, layers.devices, layers.pins);
  return { svg, handles, pins: layers.pins, unit };
}

function legend() {
  const item = (cls, text) => h("li", {}, h("span", { class: `swatch ${cls}`, "aria-hidden": "true" }), text);
  return h(
    "ul",
    { class: "legend", "aria-label": "Legend" },
    item("room-normal", "room: normal"),
    item("room-alert", "recent alert / acknowledged incident"),
    item("room-incident", "open incident"),
    item("door-locked", "door locked"),
    item("door-closed", "door closed"),
    item("door-open", "door open"),
    item("door-forced", "door forced"),
    item("artwork", "artwork (bigger = more valuable)"),
    item("camera", "camera"),
    item("sensor", "sensor"),
  );
}

export function mount(root, { live }) {
  if (!can("site.read")) {
    root.append(h("p", {}, "Your role does not include the floor plan."));
    return () => {};
  }
  const heading = h("h2", { tabindex: "-1" }, "Floor plan");
  const floorButtons = h("div", { class: "actions", role: "group", "aria-label": "Floor" });
  const planBox = h("div", { class: "plan" });
  const attention = h("ul", { class: "attention", "aria-live": "polite", "aria-label": "Needs attention" });
  const updated = h("p", { class: "muted" });
  const side = h("aside", { class: "wall-queue", "aria-label": "Incident queue" });
  root.append(
    h(
      "div",
      { class: "floor-layout" },
      h("div", { class: "floor-main" }, heading, floorButtons, planBox, attention, legend(), updated),
      side,
    ),
  );
  let q = null;
  if (can("incidents.read")) {
    q = queue(live, { compact: true });
    side.append(h("h2", {}, "Incidents"), q.el);
  } else {
    side.hidden = true;
  }

  const state = {
    data: null,
    floor: null,
    plan: null,
    incidents: new Map(), // id -> {id, title, status, severity, rooms:Set}
    doors: new Map(),
    health: new Map(),
    occupancy: {},
    recentAlerts: new Map(), // room -> time of last alert (ms)
    pinKey: "",
  };
  let gone = false;

  function showFloor(floorId) {
    state.floor = floorId;
    state.plan = buildFloor(state.data, floorId);
    state.pinKey = "";
    planBox.replaceChildren(state.plan.svg);
    for (const b of floorButtons.children) b.setAttribute("aria-pressed", String(b.dataset.floor === floorId));
    paint();
  }

  function paint() {
    if (!state.plan) return;
    const { handles } = state.plan;
    const incidents = [...state.incidents.values()];
    for (const [roomId, room] of handles.rooms) {
      const st = roomState(roomId, incidents, state.recentAlerts);
      room.g.setAttribute("class", `room room-${st}`);
      room.g.dataset.state = st;
      room.title.textContent = `${room.name}: ${st}`;
    }
    for (const [roomId, text] of handles.occupancy) {
      const n = state.occupancy[roomId];
      if (!can("analytics.read")) text.textContent = "";
      else if (!handles.rooms.get(roomId).counted) text.textContent = "not counted";
      else text.textContent = n === undefined ? "…" : `${n} ${n === 1 ? "person" : "people"}`;
    }
    for (const [doorId, door] of handles.doors) {
      const d = state.doors.get(doorId);
      const st = d ? d.state : "unknown";
      door.g.dataset.state = st;
      door.g.setAttribute("class", `door door-${st}`);
      door.title.textContent = `${door.name}: ${st}${d && d.locked !== null ? (d.locked ? ", locked" : ", unlocked") : ""}`;
    }
    for (const [id, dev] of [...handles.cameras, ...handles.sensors]) {
      const health = state.health.get(id);
      const st = health ? health.state : "unknown";
      dev.g.dataset.state = st;
      dev.title.textContent = `${dev.name}: ${st}${health && health.detail ? ` (${health.detail})` : ""}`;
    }
    paintPins(incidents);
    paintAttention(incidents);
  }

  function paintPins(incidents) {
    const { handles, pins, unit } = state.plan;
    const shown = incidents.filter((i) => ACTIVE.has(i.status) && [...i.rooms].some((r) => handles.labels.has(r)));
    const key = shown.map((i) => `${i.id}:${i.status}:${i.severity}`).sort().join("|");
    if (key === state.pinKey) return;
    state.pinKey = key;
    const perRoom = new Map();
    pins.replaceChildren(
      ...shown.map((incident) => {
        const room = [...incident.rooms].find((r) => handles.labels.has(r));
        const n = perRoom.get(room) || 0;
        perRoom.set(room, n + 1);
        const [lx, ly] = handles.labels.get(room);
        const x = lx + (n - 0.5) * unit * 3;
        const y = ly - unit * 3;
        return s(
          "a",
          {
            href: `#/incidents/${encodeURIComponent(incident.id)}`,
            "data-testid": "incident-pin",
            "data-incident-id": incident.id,
            class: `pin sev-${incident.severity} pin-${incident.status}`,
            "aria-label": `Incident: ${incident.title} (${incident.status})`,
          },
          s("title", { text: `${incident.title} (${incident.status})` }),
          s("circle", { cx: x.toFixed(3), cy: y.toFixed(3), r: (unit * 1.2).toFixed(3) }),
          s("text", { x: x.toFixed(3), y: (y + unit * 0.55).toFixed(3), "text-anchor": "middle" }, "!"),
        );
      }),
    );
  }

  function paintAttention(incidents) {
    const items = [];
    const roomName = (id) => (state.plan.handles.rooms.get(id) || { name: id }).name;
    for (const i of incidents.filter((x) => ACTIVE.has(x.status))) {
      const where = [...i.rooms].map(roomName).join(", ") || "no room";
      items.push(h("li", {}, h("a", { href: `#/incidents/${encodeURIComponent(i.id)}` }, i.title), ` — ${where} (${i.status})`));
    }
    for (const d of state.doors.values()) {
      if (d.state === "forced" || d.state === "open") items.push(h("li", {}, `${d.name}: ${d.state}`));
    }
    for (const dev of state.health.values()) {
      if (dev.state === "offline") items.push(h("li", {}, `${dev.device_id}: offline (${dev.detail})`));
    }
    attention.replaceChildren(...(items.length ? items : [h("li", { class: "muted" }, "Nothing needs attention.")]));
  }

  async function loadIncidents() {
    if (!can("incidents.read")) return;
    const rows = await load("/api/incidents?status=open&status=acknowledged&limit=500", "incidents");
    if (rows === null || gone) return;
    const alerts = await load(
      `/api/alerts?since=${encodeURIComponent(new Date(Date.now() - RECENT_ALERT_MS).toISOString())}&limit=1000`,
      "recent alerts",
    );
    state.incidents.clear();
    for (const row of rows) state.incidents.set(row.id, { ...row, rooms: new Set(row.room_id ? [row.room_id] : []) });
    for (const a of alerts || []) {
      if (a.room_id && a.incident_id && state.incidents.has(a.incident_id)) state.incidents.get(a.incident_id).rooms.add(a.room_id);
      if (a.room_id) state.recentAlerts.set(a.room_id, Math.max(state.recentAlerts.get(a.room_id) || 0, Date.parse(a.raised_time)));
    }
    paint();
  }

  async function loadDoors() {
    if (!can("access.read")) return;
    const rows = await load("/api/doors", "door states");
    if (rows === null || gone) return;
    state.doors = new Map(rows.map((d) => [d.door_id, d]));
    paint();
  }

  async function loadHealth() {
    const body = await load("/api/site/health", "device health");
    if (body === null || gone) return;
    state.health = new Map(body.devices.map((d) => [d.device_id, d]));
    paint();
  }

  async function loadOccupancy() {
    if (!can("analytics.read")) return;
    const body = await load("/api/occupancy", "occupancy");
    if (body === null || gone) return;
    state.occupancy = body.rooms || {};
    updated.textContent = body.updated ? `People counts updated ${clock(body.updated)}.` : "";
    paint();
  }

  const incidentsLater = debounce(loadIncidents, 300);
  const doorsLater = debounce(loadDoors, 300);
  const healthLater = debounce(loadHealth, 500);
  const offs = [
    live.on("incident", incidentsLater),
    live.on("alert", (a) => {
      if (a.room_id) state.recentAlerts.set(a.room_id, Date.now());
      paint();
      if (a.rule && a.rule.startsWith("door_")) doorsLater();
      incidentsLater();
    }),
    live.on("door_state", doorsLater),
    live.on("operator_action", doorsLater), // door commands are published as operator actions
    live.on("camera_health", healthLater),
    live.on("resync", () => {
      incidentsLater();
      doorsLater();
      healthLater();
      loadOccupancy();
    }),
  ];
  let ticks = 0;
  const poll = setInterval(() => {
    loadOccupancy();
    ticks += 1;
    if (ticks % HEALTH_EVERY_POLLS === 0) loadHealth(); // silence is only seen by looking
    paint(); // recent-alert colours fade after 15 minutes
  }, OCCUPANCY_POLL_MS);

  (async () => {
    state.data = await site();
    if (!state.data || gone) return;
    const floors = [...state.data.floors].sort((a, b) => a.level - b.level);
    floorButtons.replaceChildren(
      ...floors.map((f) => h("button", { type: "button", "data-floor": f.id, "on:click": () => showFloor(f.id) }, f.name)),
    );
    floorButtons.hidden = floors.length < 2;
    const ground = floors.find((f) => f.level === 0) || floors[0];
    showFloor(ground.id);
    await Promise.all([loadIncidents(), loadDoors(), loadHealth(), loadOccupancy()]);
  })();

  return () => {
    gone = true;
    clearInterval(poll);
    offs.forEach((off) => off());
    [incidentsLater, doorsLater, healthLater].forEach((f) => f.cancel());
    if (q) q.destroy();
  };
}
