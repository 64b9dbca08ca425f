// The KPIs page (#/kpis): a period picker (last 7 or 30 days), the key figures from /api/kpis
// and every KPI chart as an <img> from /api/reports/charts/{name}.svg (drawn on the server,
// the same SVG the weekly PDF embeds). Each chart's alt text states its values, built here from
// the same KPI numbers, so nothing on the page is only a picture.

import { can, load, roomNames } from "./api.js";
import { h } from "./dom.js";

export const CHARTS = [
  ["false-alarm-rate", "False-positive rate"],
  ["response-times", "Time to detect, acknowledge, resolve"],
  ["by-pattern", "Incidents by pattern"],
  ["by-room", "Incidents by room"],
  ["per-day", "Incidents per day"],
  ["uptime", "Device uptime"],
];
export const PERIODS = [7, 30];
const DAY_MS = 86_400_000;

export function seconds(value) {
  if (value === null || value === undefined) return "—";
  if (value < 120) return `${Math.round(value * 10) / 10} s`;
  if (value < 7200) return `${(value / 60).toFixed(1)} min`;
  if (value < 172_800) return `${(value / 3600).toFixed(1)} h`;
  return `${(value / 86_400).toFixed(1)} d`;
}

export function percent(value) {
  return value === null || value === undefined ? "—" : `${(100 * value).toFixed(1)}%`;
}

function patternLabel(pattern) {
  if (pattern === "unknown") return "No pattern";
  const words = pattern.replaceAll("_", " ");
  return words.charAt(0).toUpperCase() + words.slice(1);
}

function counted(counts, label) {
  const items = Object.entries(counts || {}).sort((a, b) => b[1] - a[1]);
  return items.length ? items.map(([key, n]) => `${label(key)} ${n}`).join("; ") : "none";
}

/** The text alternative of each chart, from the KPI numbers (the chart's values in words). */
export function altTexts(kpis, rooms = new Map()) {
  const v = kpis.verdicts;
  const closed = v.false_alarm + v.resolved;
  const times = [
    ["time_to_detect_s", "detect"],
    ["time_to_acknowledge_s", "acknowledge"],
    ["time_to_resolve_s", "resolve"],
  ]
    .filter(([key]) => kpis[key].count)
    .map(([key, label]) => {
      const t = kpis[key];
      return `${label}: median ${seconds(t.median)}, p90 ${seconds(t.p90)} (n=${t.count})`;
    });
  const perDay = Object.entries(kpis.per_day_by_pattern || {}).map(
    ([day, patterns]) => `${day} ${Object.values(patterns).reduce((a, b) => a + b, 0)}`,
  );
  const uptime = ["cameras", "sensors"]
    .map((kind) => [kind, kpis.uptime ? kpis.uptime[kind] : null])
    .filter(([, part]) => part && part.devices && part.mean !== null)
    .map(([kind, part]) => `${kind} ${percent(part.mean)} mean over ${part.judged} judged`);
  const room = (id) => (id === "unknown" ? "No room" : rooms.get(id) || id);
  return {
    "false-alarm-rate": kpis.false_alarm_rate === null
      ? "False-positive rate: no closed incidents, no verdicts yet."
      : `False-positive rate: ${percent(kpis.false_alarm_rate)} ` +
        `(${v.false_alarm} false alarms of ${closed} closed incidents).`,
    "response-times": `Time to detect, acknowledge, resolve: ${times.join("; ") || "no incidents"}.`,
    "by-pattern": `Incidents by pattern: ${counted(kpis.by_pattern, patternLabel)}.`,
    "by-room": `Incidents by room: ${counted(kpis.by_room, room)}.`,
    "per-day": `Incidents per day (days with incidents): ${perDay.join("; ") || "none"}.`,
    uptime: `Device uptime: ${uptime.join("; ") || "no cameras or periodic sensors to judge"}.`,
  };
}

function figures(kpis) {
  const v = kpis.verdicts;
  const rows = [
    ["Incidents", String(kpis.incidents)],
    [
      "False-positive rate",
      `${percent(kpis.false_alarm_rate)} (${v.false_alarm} of ${v.false_alarm + v.resolved} closed)`,
    ],
  ];
  for (const [key, label] of [
    ["time_to_detect_s", "Time to detect"],
    ["time_to_acknowledge_s", "Time to acknowledge"],
    ["time_to_resolve_s", "Time to resolve"],
  ]) {
    const t = kpis[key];
    rows.push([label, `median ${seconds(t.median)}, p90 ${seconds(t.p90)} (n=${t.count})`]);
  }
  for (const [kind, label] of [["cameras", "Camera uptime"], ["sensors", "Sensor uptime"]]) {
    const part = kpis.uptime ? kpis.uptime[kind] : null;
    rows.push([label, part && part.devices ? `${percent(part.mean)} mean` : "—"]);
  }
  return h(
    "dl",
    { class: "kpi-figures", "data-testid": "kpi-figures" },
    rows.map(([term, value]) => [h("dt", {}, term), h("dd", {}, value)]),
  );
}

function chartUrl(name, since, until) {
  const query = new URLSearchParams({ since, until });
  return `/api/reports/charts/${encodeURIComponent(name)}.svg?${query}`;
}

function picker(days, onChange) {
  const name = `kpi-period-${Math.random().toString(36).slice(2, 8)}`;
  return h(
    "fieldset",
    { class: "kpi-period" },
    h("legend", {}, "Period"),
    PERIODS.map((n) =>
      h(
        "label",
        {},
        h("input", {
          type: "radio",
          name,
          value: String(n),
          checked: n === days,
          "on:change": () => onChange(n),
        }),
        ` Last ${n} days`,
      ),
    ),
  );
}

function pdfLink() {
  if (document.getElementById("weekly-pdf")) return null; // the page provides it
  return h(
    "p",
    {},
    h(
      "a",
      { id: "weekly-pdf", href: "/api/reports/weekly.pdf", download: "" },
      "Download the weekly report (PDF, last 7 full days)",
    ),
  );
}

/** Fills `el` with the KPIs page; resolves to a cleanup function for the router. */
export async function mountKpis(el) {
  if (!can("kpis.read")) {
    el.replaceChildren(h("p", { class: "muted" }, "Your role cannot see KPIs and reports."));
    return () => {};
  }
  let days = PERIODS[0];
  let current = 0; // ignores a slow answer for a period no longer chosen
  const body = h("div", { class: "kpi-body", "aria-live": "polite" });
  const rooms = await roomNames().catch(() => new Map());

  async function show() {
    const ticket = ++current;
    const until = new Date();
    const since = new Date(until.getTime() - days * DAY_MS);
    const range = new URLSearchParams({ since: since.toISOString(), until: until.toISOString() });
    body.replaceChildren(h("p", { class: "muted" }, "Loading KPIs…"));
    const kpis = await load(`/api/kpis?${range}`, "the KPIs");
    if (ticket !== current) return;
    if (kpis === null) {
      body.replaceChildren(h("p", { class: "muted" }, "KPIs are not available."));
      return;
    }
    const alts = altTexts(kpis, rooms);
    body.replaceChildren(
      h("h3", {}, `Last ${days} days`),
      figures(kpis),
      h(
        "div",
        { class: "kpi-chart-list" },
        CHARTS.map(([name, title]) =>
          h(
            "figure",
            { class: "kpi-chart", "data-chart": name },
            // the SVG draws its title; the alt text states the chart's values
            h("img", {
              src: chartUrl(name, since.toISOString(), until.toISOString()),
              alt: alts[name],
              title,
              loading: "lazy",
            }),
          ),
        ),
      ),
    );
  }

  const parts = [
    picker(days, (n) => {
      days = n;
      show();
    }),
    pdfLink(),
    body,
  ];
  el.replaceChildren(...parts.filter((part) => part !== null));
  await show();
  return () => {
    current += 1; // an answer still on its way is dropped
  };
}
