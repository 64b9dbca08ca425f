// Device tokens for admins (tokens.manage), on the site page: list, create, rotate with a
// grace period, revoke. A new token is shown once, here; artguard keeps only its hash.

import { api, load } from "./api.js";
import { button, dateTime, h } from "./dom.js";

export function mountTokens(root) {
  const secret = h("p", { class: "secret", role: "status" });
  const rows = h("tbody");
  const name = h("input", { id: "token-name", required: true, maxlength: 128, placeholder: "panel-east" });
  const devices = h("input", { id: "token-devices", required: true, placeholder: "r-hall-g1, dc-hall-g1" });
  const form = h(
    "form",
    { class: "token-form" },
    h("label", { for: "token-name" }, "Name"),
    name,
    h("label", { for: "token-devices" }, "Device ids (comma-separated, * for any)"),
    devices,
    h("button", { type: "submit" }, "Create token"),
  );
  root.append(
    form,
    secret,
    h(
      "table",
      {},
      h("caption", { class: "sr-only" }, "Device tokens"),
      h("thead", {}, h("tr", {}, ["Id", "Name", "Devices", "State", "Actions"].map((c) => h("th", { scope: "col" }, c)))),
      rows,
    ),
  );

  const show = (verb, body) => {
    secret.textContent = `${verb} ${body.token_id}: ${body.token} — copy it into the device now; it is not shown again.`;
  };

  async function run(action) {
    try {
      await action();
    } catch (err) {
      secret.textContent = err.message;
    }
    refresh();
  }

  function rotate(t) {
    const grace = h("input", { type: "number", min: 0, value: 3600, "aria-label": `Seconds the old token of ${t.name} keeps working` });
    const confirmForm = h(
      "form",
      { class: "inline" },
      h("span", {}, "Old token works for "),
      grace,
      h("span", {}, " s "),
      h("button", { type: "submit" }, "Confirm rotate"),
    );
    confirmForm.addEventListener("submit", (e) => {
      e.preventDefault();
      run(async () =>
        show("New token", await api(`/api/tokens/${t.token_id}/rotate`, { method: "POST", body: { grace_s: Number(grace.value) } })),
      );
    });
    return confirmForm;
  }

  async function refresh() {
    const tokens = await load("/api/tokens", "device tokens");
    if (tokens === null) return;
    rows.replaceChildren(
      ...tokens.map((t) => {
        const state = t.active
          ? t.revoked_time ? `retiring ${dateTime(t.revoked_time)}` : "active"
          : `revoked ${dateTime(t.revoked_time)}`;
        const actions = h("td");
        if (t.active) {
          actions.append(
            button("Rotate", () => actions.replaceChildren(rotate(t)), { "aria-label": `Rotate token ${t.name}` }),
            button("Revoke", () => actions.replaceChildren(
              h("span", {}, `Revoke ${t.name}? Its devices can no longer send. `),
              button("Confirm revoke", () => run(async () => {
                await api(`/api/tokens/${t.token_id}`, { method: "DELETE" });
                secret.textContent = `Revoked ${t.token_id}.`;
              }), { class: "danger" }),
              button("Cancel", () => refresh()),
            ), { "aria-label": `Revoke token ${t.name}`, class: "danger" }),
          );
        }
        return h("tr", {}, h("td", {}, t.token_id), h("td", {}, t.name), h("td", {}, t.devices.join(", ")), h("td", {}, state), actions);
      }),
    );
  }

  form.addEventListener("submit", (e) => {
    e.preventDefault();
    const list = devices.value.split(",").map((d) => d.trim()).filter(Boolean);
    run(async () => {
      show("Created", await api("/api/tokens", { method: "POST", body: { name: name.value.trim(), devices: list } }));
      form.reset();
    });
  });
  refresh();
  return () => {};
}
