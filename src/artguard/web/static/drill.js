// The "Last drill" panel of the KPIs page: the red-team drill that finished last
// (GET /api/drills/latest) — when, site-days, detection rate, false incidents per site-day by
// tier, time to detect, its charts (the server's SVG, the same the weekly report embeds) and
// a table per scenario. Nothing is shown when no drill has been stored.

import { load } from "./api.js";
import { dateTime, h } from "./dom.js";
import { percent, seconds } from "./kpis.js";

const label = (name) => {
  const words = String(name).replaceAll("_", " ");
  return words.charAt(0).toUpperCase() + words.slice(1);
};

function table(caption, columns, rows, testid) {
  return h(
    "table",
    { "data-testid": testid },
    h("caption", { class: "sr-only" }, caption),
    h("thead", {}, h("tr", {}, columns.map((c) => h("th", { scope: "col" }, c)))),
    h("tbody", {}, rows.map((cells) => h("tr", {}, cells))),
  );
}

const td = (value, attrs = {}) => h("td", attrs, value === null || value === undefined ? "—" : value);

/** The headline figures as [term, value] pairs. */
export function drillFacts(d) {
  const f = d.figures;
  const tiers = Object.entries(d.false_per_day || {})
    .map(([tier, rate]) => `${tier.replaceAll("_", " ")} ${rate.toFixed(2)}`)
    .join(", ");
  return [
    ["When", `${dateTime(d.finished_time)} (site ${d.site_id}, seed ${d.seed})`],
    ["Simulated", `${d.days} site-day(s)`],
    ["Detection rate", `${percent(f.detection_rate)} (${f.detected} of ${f.scenarios} scenarios)`],
    ["False incidents per site-day", `${tiers || "none"} (high-risk ${f.false_high_per_day.toFixed(2)})`],
    ["Time to detect", `median ${seconds(f.ttd_median_s)}, p90 ${seconds(f.ttd_p90_s)}`],
  ];
}

function byScenario(d) {
  return table(
    "Detection per scenario",
    ["Scenario", "Detected", "Median time to detect", "Slowest", "Incident pattern"],
    d.by_scenario.map((s) => [
      td(label(s.scenario)),
      td(`${s.detected} of ${s.runs}` + (s.missed ? ` (${s.missed} missed)` : ""), {
        class: s.missed ? "num drill-missed" : "num",
      }),
      td(seconds(s.ttd_median_s), { class: "num" }),
      td(seconds(s.ttd_max_s), { class: "num" }),
      td(s.patterns.join(", ") || "—"),
    ]),
    "drill-scenarios",
  );
}

function injections(d) {
  return h(
    "details",
    {},
    h("summary", {}, `Every injected scenario (${d.scenarios.length})`),
    table(
      "Every injected scenario",
      ["Scenario", "Start", "Result", "Time to detect", "Pattern", "Score", "Tier", "Rules", "Why missed"],
      d.scenarios.map((o) => [
        td(label(o.scenario)),
        td(dateTime(o.start)),
        td(o.detected ? "detected" : "missed", { class: o.detected ? "" : "drill-missed" }),
        td(seconds(o.time_to_detect_s), { class: "num" }),
        td(o.pattern),
        td(o.score === null ? null : o.score.toFixed(2), { class: "num" }),
        td(o.tier),
        td(o.rules.join(", ") || null),
        td(o.why_missed),
      ]),
      "drill-injections",
    ),
  );
}

/** Fills `el` with the last drill, or leaves it empty and hidden when there is none. */
export async function mountLastDrill(el) {
  const d = await load("/api/drills/latest", "the last drill");
  if (d === null) {
    el.replaceChildren();
    el.hidden = true;
    return;
  }
  const id = "last-drill-h";
  el.hidden = false;
  el.replaceChildren(
    h(
      "section",
      { class: "drill-panel", "aria-labelledby": id, "data-drill-id": d.id },
      h("h3", { id }, "Last drill"),
      h(
        "dl",
        { class: "facts", "data-testid": "drill-figures" },
        drillFacts(d).map(([term, value]) => [h("dt", {}, term), h("dd", {}, value)]),
      ),
      byScenario(d),
      h(
        "div",
        { class: "kpi-chart-list" },
        d.charts.map((c) =>
          h(
            "figure",
            { class: "kpi-chart", "data-chart": c.name },
            h("img", { src: c.url, alt: c.alt, title: c.title, loading: "lazy" }),
          ),
        ),
      ),
      injections(d),
    ),
  );
}
