// The site page (#/site): the loaded configuration (no credentials), each device's health,
// and the site file re-checked on disk; device tokens for admins.

import { can, load, roomNames, site } from "./api.js";
import { age, button, dateTime, h, section } from "./dom.js";
import { mountTokens } from "./tokens.js";

function table(caption, columns, rows) {
  return h(
    "table",
    {},
    h("caption", { class: "sr-only" }, caption),
    h("thead", {}, h("tr", {}, columns.map((c) => h("th", { scope: "col" }, c)))),
    h("tbody", {}, rows.map((cells) => h("tr", {}, cells.map((c) => h("td", {}, c ?? "—"))))),
  );
}

function details(title, count, content) {
  return h("details", {}, h("summary", {}, `${title} (${count})`), content);
}

function summary(data) {
  const rooms = new Map(data.rooms.map((r) => [r.id, r.name]));
  const room = (id) => rooms.get(id) || id;
  const counts = data.counts;
  return h(
    "div",
    { "data-testid": "site-summary" },
    h("p", {}, `${data.site.name} (${data.site.id}), time zone ${data.site.timezone}.`),
    h(
      "dl",
      { class: "counts" },
      Object.entries(counts).map(([k, v]) => [h("dt", {}, k), h("dd", {}, String(v))]),
    ),
    details(
      "Rooms",
      data.rooms.length,
      table(
        "Rooms",
        ["Id", "Name", "Floor", "Security level", "Public"],
        data.rooms.map((r) => [r.id, r.name, r.floor, String(r.security_level), r.public ? "yes" : "no"]),
      ),
    ),
    details(
      "Doors",
      data.doors.length,
      table(
        "Doors",
        ["Id", "Name", "Between", "Readers", "Lock", "Contact"],
        data.doors.map((d) => [
          d.id, d.name, `${room(d.from_room)} ↔ ${room(d.to_room)}`,
          [...d.readers, ...d.exit_readers].join(", ") || "—", d.lock, d.contact,
        ]),
      ),
    ),
    details(
      "Cameras",
      data.cameras.length,
      table(
        "Cameras",
        ["Id", "Name", "Rooms", "Resolution", "fps", "Zones", "Lines"],
        data.cameras.map((c) => [
          c.id, c.name, c.rooms.map(room).join(", "), c.resolution.join("×"), String(c.fps),
          String(c.zones), String(c.lines),
        ]),
      ),
    ),
    details(
      "Sensors",
      data.sensors.length,
      table(
        "Sensors",
        ["Id", "Type", "Room", "Fitted to", "Range"],
        data.sensors.map((x) => [
          x.id, x.type.replaceAll("_", " "), room(x.room), x.artwork || x.door,
          x.min !== null || x.max !== null ? `${x.min ?? ""}…${x.max ?? ""} ${x.unit || ""}` : null,
        ]),
      ),
    ),
    details(
      "Artworks",
      data.artworks.length,
      table(
        "Artworks",
        ["Id", "Title", "Artist", "Room", "Value tier"],
        data.artworks.map((a) => [a.id, a.title, a.artist, room(a.room), String(a.value_tier)]),
      ),
    ),
    h(
      "p",
      { class: "muted" },
      "People by role: ",
      Object.entries(data.roles).map(([r, n]) => `${r} ${n}`).join(", ") || "none",
      ". Credentials, PINs and camera addresses are never shown here.",
    ),
  );
}

const STATE_ORDER = { offline: 0, unknown: 1, online: 2 };

function health(body, filter, rooms) {
  // problems first: offline, then unknown, then online (the server's kind/id order within)
  const devices = body.devices
    .filter((d) => filter === "all" || d.state === filter)
    .map((d, i) => [d, i])
    .sort(([a, i], [b, j]) => STATE_ORDER[a.state] - STATE_ORDER[b.state] || i - j)
    .map(([d]) => d);
  return table(
    "Device health",
    ["Device", "Kind", "Room", "State", "Last seen", "Detail", "Problems"],
    devices.map((d) => [
      d.device_id,
      d.type ? `${d.kind} (${d.type.replaceAll("_", " ")})` : d.kind,
      rooms.get(d.room_id) || d.room_id,
      h("span", { class: `health health-${d.state}` }, d.state),
      d.last_seen ? `${dateTime(d.last_seen)} (${age(d.last_seen)} ago)` : "never",
      d.detail,
      d.problems.length
        ? h("ul", { class: "plain" }, d.problems.map((p) => h("li", {}, h("a", { href: `#/incidents/${encodeURIComponent(p.incident_id)}` }, p.title))))
        : "—",
    ]),
  );
}

function validation(body) {
  const box = h("div", { "data-testid": "validation" });
  if (!body.checked) {
    box.append(h("p", {}, `Not checked: ${body.reason}.`));
    return box;
  }
  const changed = body.changed_since_start
    ? h("p", { class: "warn" }, "The file on disk changed since artguard started; restart to load it.")
    : null;
  if (!body.problems.length) {
    box.append(...[h("p", { class: "ok" }, `${body.path}: no problems.`), changed].filter(Boolean));
    return box;
  }
  box.append(
    ...[
      h("p", { class: "warn" }, `${body.path}: ${body.problems.length} problem(s).`),
      changed,
      h("ol", {}, body.problems.map((p) => h("li", {}, h("code", {}, p.text)))),
    ].filter(Boolean),
  );
  return box;
}

export function mount(root) {
  if (!can("site.read")) {
    root.append(h("p", {}, "Your role does not include the site configuration."));
    return () => {};
  }
  const summaryBox = h("div", {}, h("p", { class: "muted" }, "Loading…"));
  const healthBox = h("div", { "data-testid": "device-health" }, h("p", { class: "muted" }, "Loading…"));
  const validationBox = h("div", {}, h("p", { class: "muted" }, "Checking the site file…"));
  const counts = h("p", { role: "status" });
  const filter = h(
    "select",
    { id: "health-filter", "aria-label": "Show devices" },
    ["all", "offline", "unknown", "online"].map((v) => h("option", { value: v }, v)),
  );
  let healthBody = null;
  let rooms = new Map();
  let gone = false;

  async function loadHealth() {
    if (!rooms.size) rooms = await roomNames();
    const body = await load("/api/site/health", "device health");
    if (body === null || gone) return;
    healthBody = body;
    const c = body.counts;
    counts.textContent = `${c.online} online, ${c.offline} offline, ${c.unknown} unknown.`;
    healthBox.replaceChildren(health(body, filter.value, rooms));
  }
  filter.addEventListener("change", () => {
    if (healthBody) healthBox.replaceChildren(health(healthBody, filter.value, rooms));
  });

  async function loadValidation() {
    const body = await load("/api/site/validation", "the site check");
    if (body === null || gone) return;
    validationBox.replaceChildren(validation(body));
  }

  const tokens = h("div");
  root.append(
    h("h2", { tabindex: "-1" }, "Site"),
    section("Configuration", {}, summaryBox),
    section(
      "Device health",
      {},
      h("div", { class: "actions" }, h("label", { for: "health-filter" }, "Show "), filter, button("Refresh", loadHealth)),
      counts,
      healthBox,
    ),
    section("Site file check", {}, h("div", { class: "actions" }, button("Check again", loadValidation)), validationBox),
    can("tokens.manage") ? section("Device tokens", {}, tokens) : null,
  );
  (async () => {
    const data = await site();
    if (gone) return;
    summaryBox.replaceChildren(data ? summary(data) : h("p", { class: "error" }, "The site could not be loaded."));
  })();
  loadHealth();
  loadValidation();
  const stopTokens = can("tokens.manage") ? mountTokens(tokens) : () => {};
  const timer = setInterval(loadHealth, 30000);
  return () => {
    gone = true;
    clearInterval(timer);
    stopTokens();
  };
}
