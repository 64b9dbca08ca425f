// The KPIs page (#/kpis): the container the charts module (kpis.js, mountKpis) fills, and the
// weekly PDF report. The charts module is loaded only when the page is opened.

import { can } from "./api.js";
import { h } from "./dom.js";

export function mount(root) {
  if (!can("kpis.read")) {
    root.append(h("h2", { tabindex: "-1" }, "KPIs"), h("p", {}, "Your role does not include KPIs and reports."));
    return () => {};
  }
  const charts = h("div", { "data-testid": "kpi-charts", class: "kpi-charts" }, h("p", { class: "muted" }, "Loading charts…"));
  root.append(
    h("h2", { tabindex: "-1" }, "KPIs"),
    h(
      "p",
      {},
      h("a", { id: "weekly-pdf", href: "/api/reports/weekly.pdf", download: "" }, "Weekly report (PDF)"),
    ),
    charts,
  );
  let cleanup = null;
  let gone = false;
  import("./kpis.js")
    .then((module) => {
      if (gone) return;
      charts.replaceChildren();
      return module.mountKpis(charts); // may return a cleanup function (or a promise of one)
    })
    .then((result) => {
      if (typeof result !== "function") return;
      if (gone) result();
      else cleanup = result;
    })
    .catch((err) => {
      if (gone) return;
      charts.replaceChildren(h("p", { class: "error" }, `The KPI charts could not be loaded: ${err.message}`));
    });
  return () => {
    gone = true;
    if (cleanup) cleanup();
  };
}
