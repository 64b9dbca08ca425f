// The operator's buttons on an incident, used in the queue and on the incident page:
// Acknowledge, Resolve, False alarm (with a reason, inline) and one-click Lock doors.
// Buttons appear when the status allows the action and the user's role holds its permission;
// the server enforces both again.

import { api, can } from "./api.js";
import { button, h } from "./dom.js";

const ACTIVE = new Set(["open", "acknowledged"]);

/** Which buttons fit an incident for this user, in display order. */
export function allowedActions(incident) {
  const actions = [];
  if (!ACTIVE.has(incident.status)) return actions;
  if (can("incidents.act")) {
    if (incident.status === "open") actions.push("acknowledge");
    actions.push("resolve", "false-alarm");
  }
  if (can("doors.override")) actions.push("lock-doors");
  return actions;
}

const LABELS = {
  acknowledge: "Acknowledge",
  resolve: "Resolve",
  "false-alarm": "False alarm",
  "lock-doors": "Lock doors",
};

/** Door outcomes of a lock-doors answer as one line: "Vault door: confirmed; ...". */
export function lockSummary(records, doorNames = new Map()) {
  if (!records.length) return "No lockable doors in this incident's rooms.";
  return records
    .map((r) => {
      const name = doorNames.get(r.target) || r.target || "door";
      return `${name}: ${r.status}${r.detail && r.status !== "confirmed" ? ` (${r.detail})` : ""}`;
    })
    .join("; ");
}

/**
 * The action bar of one incident. `onUpdated(row)` gets the incident as the server returns it
 * after a state change. The returned element keeps its form and status line across update()
 * calls, so a live refresh does not wipe what the operator is typing.
 */
export function actionBar(incident, { onUpdated, doorNames } = {}) {
  let current = incident;
  let shownKey = null;
  const buttons = h("div", { class: "actions" });
  const status = h("p", { class: "action-status", "data-testid": "action-status", role: "status" });
  const reason = h("textarea", {
    name: "reason",
    rows: 2,
    maxlength: 2000,
    required: true,
    "aria-label": "Why is this a false alarm?",
    placeholder: "Why is this a false alarm?",
  });
  const form = h(
    "form",
    { class: "false-alarm", hidden: true },
    reason,
    h(
      "div",
      { class: "actions" },
      h("button", { type: "submit" }, "Confirm false alarm"),
      button("Cancel", () => closeForm()),
    ),
  );
  const root = h("div", { class: "incident-actions" }, buttons, form, status);

  function say(text, kind = "info") {
    status.textContent = text;
    status.dataset.kind = kind;
  }

  function closeForm() {
    form.hidden = true;
    reason.value = "";
    const opener = buttons.querySelector("[data-action=false-alarm]");
    if (opener) opener.focus();
  }

  async function transition(path, body, doneText) {
    say("Working…");
    try {
      const row = await api(`/api/incidents/${current.id}/${path}`, { method: "POST", body });
      say(doneText, "ok");
      if (onUpdated) onUpdated(row);
    } catch (err) {
      say(err.message, "error");
    }
  }

  async function lockDoors(btn) {
    btn.disabled = true;
    say("Locking doors…");
    try {
      const records = await api(`/api/incidents/${current.id}/lock-doors`, {
        method: "POST",
        body: { reason: `locked from the dashboard for incident ${current.id}` },
      });
      const failed = records.some((r) => r.status !== "confirmed");
      say(lockSummary(records, doorNames), failed ? "error" : "ok");
    } catch (err) {
      say(err.message, "error");
    } finally {
      btn.disabled = false;
    }
  }

  const handlers = {
    acknowledge: () => transition("acknowledge", {}, "Acknowledged."),
    resolve: () => transition("resolve", {}, "Resolved."),
    "false-alarm": () => {
      form.hidden = false;
      reason.focus();
    },
    "lock-doors": (event) => lockDoors(event.currentTarget),
  };

  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const note = reason.value.trim();
    if (!note) {
      say("Give the reason it is a false alarm.", "error");
      reason.focus();
      return;
    }
    await transition("false-alarm", { note }, "Marked as a false alarm.");
    if (status.dataset.kind === "ok") {
      form.hidden = true;
      reason.value = "";
    }
  });
  form.addEventListener("keydown", (event) => {
    if (event.key === "Escape") closeForm();
  });

  function update(incident) {
    current = incident;
    const actions = allowedActions(incident);
    const key = actions.join(",");
    if (key === shownKey) return;
    shownKey = key;
    buttons.replaceChildren(
      ...actions.map((a) =>
        button(LABELS[a], handlers[a], { "data-action": a, class: a === "lock-doors" ? "danger" : "" }),
      ),
    );
    if (!actions.includes("false-alarm")) form.hidden = true;
  }

  update(incident);
  return { el: root, update };
}
