// One incident (#/incidents/<id>): what happened (timeline of its alerts with reasons), why it
// scores what it does (contributions), what the cameras saw (snapshots, faces blurred), what
// was done and by whom (actions, notifications), the procedure to follow, and escalation.

import { actionBar } from "./incident_actions.js";
import { ApiError, api, can, load, roomNames, site } from "./api.js";
import { age, button, clock, dateTime, debounce, h, section } from "./dom.js";

function list(items, empty, render, attrs = {}) {
  if (!items.length) return h("p", { class: "muted", ...attrs }, empty);
  return h("ol", attrs, items.map(render));
}

function timeline(alerts, rooms) {
  const ordered = [...alerts].sort((a, b) =>
    String(a.first_event_time).localeCompare(String(b.first_event_time)),
  );
  return list(
    ordered,
    "No alerts recorded.",
    (a) =>
      h(
        "li",
        { "data-alert-id": a.id },
        h(
          "p",
          { class: "line" },
          h("time", { datetime: a.first_event_time }, clock(a.first_event_time)),
          " ",
          h("span", { class: `sev sev-${a.severity}` }, a.severity),
          " ",
          h("strong", {}, a.title),
        ),
        h(
          "p",
          { class: "muted" },
          `${a.rule} · ${a.device_id}`,
          a.room_id ? ` · ${rooms.get(a.room_id) || a.room_id}` : "",
          a.repeat_count > 1 ? ` · repeated ${a.repeat_count} times until ${clock(a.last_seen_time)}` : "",
          ` · ${a.source_event_ids.length} source event(s)`,
        ),
        h("ul", { class: "reasons" }, a.reasons.map((r) => h("li", {}, r))),
        a.correlation ? h("p", { class: "muted" }, `Joined this incident: ${a.correlation}`) : null,
      ),
    { "data-testid": "timeline", class: "timeline" },
  );
}

function contributions(incident) {
  const rows = incident.contributions || [];
  return h(
    "div",
    { "data-testid": "contributions" },
    incident.pattern_reasons && incident.pattern_reasons.length
      ? h(
          "div",
          {},
          h("p", {}, `Pattern: ${(incident.pattern || "none").replaceAll("_", " ")}, because:`),
          h("ul", {}, incident.pattern_reasons.map((r) => h("li", {}, r))),
        )
      : null,
    h(
      "p",
      {},
      `Risk score ${incident.score === null ? "—" : incident.score.toFixed(2)}`,
      incident.risk ? ` (${incident.risk})` : "",
    ),
    rows.length
      ? h(
          "table",
          {},
          h("caption", { class: "sr-only" }, "Score contribution of each alert"),
          h(
            "thead",
            {},
            h("tr", {}, h("th", { scope: "col" }, "Signal"), h("th", { scope: "col" }, "Weight"),
              h("th", { scope: "col" }, "Why")),
          ),
          h(
            "tbody",
            {},
            rows.map((c) =>
              h(
                "tr",
                { class: c.suppressed ? "suppressed" : "" },
                h("td", {}, c.label, h("span", { class: "muted" }, ` ${c.category}`)),
                h("td", { class: "num" }, c.weight.toFixed(2)),
                h("td", {}, c.why),
              ),
            ),
          ),
        )
      : h("p", { class: "muted" }, "No score contributions recorded."),
  );
}

// Clips are WebM (VP8), which browsers play inline; clips recorded before that are MJPG AVI,
// which they do not, so those only get the download link.
function isWebm(url) {
  return url.endsWith(".webm");
}

function clipLink(url) {
  return h("a", { href: url, download: "" }, isWebm(url) ? "download clip (WebM)" : "clip (AVI, download)");
}

function clipPlayer(url, alert) {
  if (!isWebm(url)) return null;
  const video = h("video", {
    src: url,
    controls: true,
    muted: true,
    playsinline: true,
    preload: "metadata",
    width: 640,
    "data-testid": "clip",
    "aria-label": `Clip for “${alert.title}”, faces blurred`,
  });
  video.muted = true; // the attribute alone does not mute an element created by script
  return video;
}

async function snapshots(alerts) {
  const box = h("div", { class: "snapshots" });
  if (!can("evidence.read")) {
    box.append(h("p", { class: "muted" }, "Your role does not include camera evidence."));
    return box;
  }
  const camera = alerts.filter((a) => a.evidence_url);
  if (!camera.length) {
    box.append(h("p", { class: "muted" }, "No camera alerts in this incident."));
    return box;
  }
  for (const alert of camera) {
    let meta;
    try {
      meta = await api(alert.evidence_url);
    } catch (err) {
      box.append(h("p", { class: "muted" }, `${alert.title}: ${err.status === 404 ? "no snapshot stored" : err.message}`));
      continue;
    }
    // Only the blurred snapshot: the original is a separate, audited request, not shown here.
    if (!meta.snapshot_url) continue;
    box.append(
      h(
        "figure",
        {},
        h("img", {
          src: meta.snapshot_url,
          alt: `Snapshot for “${alert.title}” at ${clock(meta.frame_time || alert.first_event_time)}, faces blurred, detections outlined`,
          "data-testid": "snapshot",
          loading: "lazy",
          width: 640,
        }),
        h(
          "figcaption",
          {},
          `${clock(meta.frame_time || alert.first_event_time)} · ${meta.camera_id || alert.device_id}`,
          meta.clip_url ? " · " : "",
          meta.clip_url ? clipLink(meta.clip_url) : null,
        ),
        meta.clip_url ? clipPlayer(meta.clip_url, alert) : null,
      ),
    );
  }
  if (!box.children.length) box.append(h("p", { class: "muted" }, "No snapshot stored."));
  return box;
}

function actionsTaken(incident, taken, doorNames) {
  const items = [];
  if (incident.acknowledged_time) {
    items.push({ time: incident.acknowledged_time, text: `Acknowledged by ${incident.owner || "?"}` });
  }
  if (incident.resolved_time) {
    const how = incident.status === "false_alarm" ? "Marked false alarm" : "Resolved";
    const note = incident.resolution_note ? `: ${incident.resolution_note}` : "";
    items.push({ time: incident.resolved_time, text: `${how}${note}` });
  }
  for (const run of taken ? taken.runs : []) {
    items.push({ time: run.started_time, text: `Playbook ${run.playbook_id} ran` });
  }
  for (const a of taken ? taken.actions : []) {
    const target = a.target ? ` ${doorNames.get(a.target) || a.target}` : "";
    const by = a.playbook_id ? `playbook ${a.playbook_id}` : a.actor;
    items.push({
      time: a.started_time,
      text: `${a.action.replaceAll("_", " ")}${target}: ${a.status}${a.detail ? ` (${a.detail})` : ""} — by ${by}`,
    });
  }
  for (const d of taken ? taken.deliveries : []) {
    items.push({
      time: d.time,
      text: `Notified ${d.audience} via ${d.channel} (${d.channel_type}): ${d.status}` +
        `${d.attempts > 1 ? `, ${d.attempts} attempts` : ""}${d.error ? `: ${d.error}` : ""}`,
    });
  }
  items.sort((a, b) => String(a.time).localeCompare(String(b.time)));
  return list(
    items,
    "Nothing done yet.",
    (item) => h("li", {}, h("time", { datetime: item.time }, clock(item.time)), " ", item.text),
    { "data-testid": "actions", class: "plain" },
  );
}

function escalation(incident) {
  const history = incident.escalations || [];
  return h(
    "div",
    { "data-testid": "escalation" },
    h(
      "dl",
      { class: "facts" },
      h("dt", {}, "Tier"),
      h("dd", {}, incident.tier || "—"),
      h("dt", {}, "Acknowledge by"),
      h("dd", {}, incident.ack_due ? dateTime(incident.ack_due) : "—"),
      h("dt", {}, "Resolve by"),
      h("dd", {}, incident.resolve_due ? dateTime(incident.resolve_due) : "—",
        incident.resolve_overdue_time ? " (overdue: supervisors told)" : ""),
      h("dt", {}, "Assigned to"),
      h("dd", {}, (incident.assigned_to || []).join(", ") || "—"),
    ),
    list(
      history,
      "No escalations.",
      (e) =>
        h(
          "li",
          {},
          h("time", { datetime: e.time }, clock(e.time)),
          ` ${e.from || "—"} → ${e.to || "—"}: ${e.why}`,
          e.notified && e.notified.length
            ? h("span", { class: "muted" }, ` (told ${e.notified.map((n) => n.audience).join(", ")})`)
            : "",
        ),
      { class: "plain" },
    ),
  );
}

function procedure(incidentId, view, onChanged) {
  const box = h("div", { "data-testid": "procedure" });
  if (view === null) {
    box.append(h("p", { class: "muted" }, "No procedure attached to this incident."));
    return box;
  }
  const status = h("p", { role: "status", class: "action-status" });
  const actable = can("incidents.act") && !view.closed_time;

  async function act(step, body) {
    status.textContent = "Saving…";
    try {
      const next = await api(
        `/api/incidents/${encodeURIComponent(incidentId)}/steps/${encodeURIComponent(step.id)}`,
        { method: "POST", body },
      );
      onChanged(next, step.id);
    } catch (err) {
      status.textContent = err.message;
      status.dataset.kind = "error";
    }
  }

  function controls(step) {
    if (!actable || step.status !== "pending" || !step.on_path) return null;
    const skipReason = h("input", {
      name: "skip-reason",
      "aria-label": `Why skip: ${step.text}`,
      placeholder: "Why skip this step?",
      maxlength: 2000,
    });
    const skipForm = h(
      "form",
      { class: "inline", hidden: true },
      skipReason,
      h("button", { type: "submit" }, "Confirm skip"),
    );
    skipForm.addEventListener("submit", (event) => {
      event.preventDefault();
      const note = skipReason.value.trim();
      if (!note) {
        status.textContent = "Give the reason for skipping the step.";
        skipReason.focus();
        return;
      }
      act(step, { action: "skip", note });
    });
    const main = step.question
      ? Object.keys(step.options || {}).map((answer) =>
          button(answer, () => act(step, { action: "answer", answer }), { "data-step": step.id }),
        )
      : [button("Done", () => act(step, { action: "done" }), { "data-step": step.id })];
    const skip = button("Skip", () => {
      skipForm.hidden = false;
      skipReason.focus();
    });
    return h("div", { class: "actions" }, main, skip, skipForm);
  }

  box.append(
    h("p", {}, view.title, view.complete ? " — complete" : ""),
    h(
      "ol",
      { class: "steps" },
      view.steps.map((step) =>
        h(
          "li",
          {
            "data-step-id": step.id,
            "data-status": step.status,
            class: step.id === view.current_step ? "current" : "",
            "aria-current": step.id === view.current_step ? "step" : null,
          },
          h("p", {}, step.text, step.required ? h("span", { class: "tag" }, "required") : ""),
          h(
            "p",
            { class: "muted" },
            step.status.replaceAll("_", " "),
            step.actor ? ` by ${step.actor} at ${clock(step.time)}` : "",
            step.answer ? ` — answer: ${step.answer}` : "",
            step.note ? ` — ${step.note}` : "",
          ),
          controls(step),
        ),
      ),
    ),
    status,
  );
  return box;
}

export function mount(root, { live, params }) {
  const id = decodeURIComponent(params[0]);
  if (!can("incidents.read")) {
    root.append(h("p", {}, "Your role does not include incidents."));
    return () => {};
  }
  const heading = h("h2", { tabindex: "-1" }, `Incident ${id}`);
  const summary = h("div", { class: "incident-summary" });
  const factsBox = h("div");
  const parts = {
    timeline: h("div"),
    contributions: h("div"),
    snapshots: h("div"),
    actions: h("div"),
    procedure: h("div"),
    escalation: h("div"),
  };
  root.append(
    h("p", {}, h("a", { href: "#/incidents" }, "← Incident queue")),
    heading,
    summary,
    h(
      "div",
      { class: "incident-grid" },
      section("Timeline", {}, parts.timeline),
      section("Procedure", {}, parts.procedure),
      section("Why this score", {}, parts.contributions),
      section("Snapshots", {}, parts.snapshots),
      section("Actions taken", {}, parts.actions),
      section("Escalation", {}, parts.escalation),
    ),
  );
  let rooms = new Map();
  let doorNames = new Map();
  let bar = null;
  let incident = null;
  let gone = false;

  function renderSummary() {
    heading.textContent = incident.title;
    const facts = h(
      "p",
      { class: "line" },
      h("span", { class: `sev sev-${incident.severity}` }, incident.severity),
      ` risk ${incident.score === null ? "—" : incident.score.toFixed(2)} · `,
      h("span", { "data-testid": "incident-status" }, incident.status.replaceAll("_", " ")),
      ` · ${incident.room_id ? rooms.get(incident.room_id) || incident.room_id : "no room"}`,
      ` · detected ${dateTime(incident.detected_time)} (${age(incident.detected_time)} ago)`,
      ` · ${incident.alert_count} alert(s)`,
    );
    if (!bar) {
      bar = actionBar(incident, { onUpdated: () => refresh(), doorNames });
      summary.replaceChildren(factsBox, bar.el);
    } else {
      bar.update(incident); // in place: focus and a half-typed reason survive
    }
    factsBox.replaceChildren(facts);
  }

  async function loadProcedure() {
    try {
      return await api(`/api/incidents/${encodeURIComponent(id)}/procedure`);
    } catch (err) {
      if (err instanceof ApiError && err.status === 404) return null;
      throw err;
    }
  }

  function showProcedure(view, focusStep) {
    // a live refresh must not throw the keyboard focus out of the step the operator is on
    const active = document.activeElement;
    const kept = active && parts.procedure.contains(active) && active.closest("[data-step-id]")
      ? { step: active.closest("[data-step-id]").dataset.stepId, label: active.textContent, tag: active.tagName }
      : null;
    parts.procedure.replaceChildren(procedure(id, view, (next, stepId) => showProcedure(next, stepId)));
    if (!focusStep && kept) {
      const li = parts.procedure.querySelector(`[data-step-id="${CSS.escape(kept.step)}"]`);
      const same = li && [...li.querySelectorAll(kept.tag)].find((el) => el.textContent === kept.label);
      if (same) same.focus();
      else focusStep = kept.step;
    }
    if (focusStep) {
      const li = parts.procedure.querySelector(`[data-step-id="${CSS.escape(focusStep)}"]`);
      const next = parts.procedure.querySelector("li.current button") || li;
      if (next) {
        if (!next.hasAttribute("tabindex") && next.tagName === "LI") next.setAttribute("tabindex", "-1");
        next.focus();
      }
    }
  }

  async function refresh(first = false) {
    const data = await load(`/api/incidents/${encodeURIComponent(id)}`, `incident ${id}`);
    if (gone || data === null) return;
    incident = data;
    renderSummary();
    parts.timeline.replaceChildren(timeline(data.alerts, rooms));
    parts.contributions.replaceChildren(contributions(data));
    parts.escalation.replaceChildren(escalation(data));
    const [taken, proc] = await Promise.all([
      load(`/api/incidents/${encodeURIComponent(id)}/actions`, "the actions taken"),
      loadProcedure().catch((err) => {
        parts.procedure.replaceChildren(h("p", { class: "error" }, err.message));
        return undefined;
      }),
    ]);
    if (gone) return;
    parts.actions.replaceChildren(actionsTaken(data, taken, doorNames));
    if (proc !== undefined) showProcedure(proc);
    if (first || parts.snapshots.dataset.alerts !== String(data.alerts.length)) {
      parts.snapshots.dataset.alerts = String(data.alerts.length);
      parts.snapshots.replaceChildren(await snapshots(data.alerts));
    }
  }

  const later = debounce(() => refresh(), 400);
  const offs = [
    live.on("incident", (e) => e.incident_id === id && later()),
    live.on("notification", (e) => e.incident_id === id && later()),
    live.on("operator_action", () => later()),
    live.on("resync", () => later()),
  ];

  (async () => {
    rooms = await roomNames();
    const data = await site();
    if (data) for (const d of data.doors) doorNames.set(d.id, d.name);
    await refresh(true);
  })();

  return () => {
    gone = true;
    later.cancel();
    offs.forEach((off) => off());
  };
}
