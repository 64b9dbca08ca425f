// The KPIs page (#/kpis): the container the charts module (kpis.js, mountKpis) fills, the
// weekly PDF report and the last red-team drill (drill.js). Both modules are loaded only when
// the page is opened.

import { can } from "./api.js";
import { h } from "./dom.js";

export function mount(root) {
  if (!can("kpis.read")) {
    root.append(h("h2", { tabindex: "-1" }, "KPIs"), h("p", {}, "Your role does not include KPIs and reports."));
    return () => {};
  }
  const charts = h("div", { "data-testid": "kpi-charts", class: "kpi-charts" }, h("p", { class: "muted" }, "Loading charts…"));
  const drill = h("div", { "data-testid": "last-drill", hidden: true }); // drill.js fills it
  root.append(
    h("h2", { tabindex: "-1" }, "KPIs"),
    h(
      "p",
      {},
      h("a", { id: "weekly-pdf", href: "/api/reports/weekly.pdf", download: "" }, "Weekly report (PDF)"),
    ),
    charts,
    drill,
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
  import("./drill.js")
    .then((module) => (gone ? null : module.mountLastDrill(drill)))
    .catch((err) => {
      if (gone) return;
      drill.hidden = false;
      drill.replaceChildren(h("p", { class: "error" }, `The last drill could not be loaded: ${err.message}`));
    });
  return () => {
    gone = true;
    if (cleanup) cleanup();
  };
}
