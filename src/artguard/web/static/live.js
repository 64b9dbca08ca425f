// The live stream: one WebSocket to /api/stream for the whole dashboard, reconnecting with
// exponential backoff (1 s doubling to 30 s, with jitter so a room full of screens does not
// reconnect in step). Pages subscribe per event kind; after a reconnect they get a "resync"
// so they reload what they show (events sent while disconnected are not replayed).

import { api, can } from "./api.js";

const KIND_PERMISSION = {
  incident: "incidents.read",
  alert: "incidents.read",
  operator_action: "incidents.read",
  notification: "incidents.read",
  door_state: "access.read",
  camera_health: "site.read",
};
const MIN_DELAY_MS = 1000;
const MAX_DELAY_MS = 30000;

export class Live {
  /** `status` is the element whose text says how the stream is (contains "live" when up). */
  constructor(status) {
    this.status = status;
    this.handlers = new Map();
    this.socket = null;
    this.timer = null;
    this.delay = MIN_DELAY_MS;
    this.running = false;
    this.connectedOnce = false;
  }

  /** Calls `fn(event)` for each event of `kind` ("resync" after a reconnect); returns off(). */
  on(kind, fn) {
    if (!this.handlers.has(kind)) this.handlers.set(kind, new Set());
    this.handlers.get(kind).add(fn);
    return () => this.handlers.get(kind).delete(fn);
  }

  emit(kind, event) {
    for (const fn of this.handlers.get(kind) || []) {
      try {
        fn(event);
      } catch (err) {
        console.error(`live ${kind} handler failed`, err);
      }
    }
  }

  /** The kinds this user may receive (the stream refuses the whole request otherwise). */
  kinds() {
    return Object.keys(KIND_PERMISSION).filter((k) => can(KIND_PERMISSION[k]));
  }

  say(text, state) {
    this.status.textContent = text;
    this.status.dataset.state = state;
  }

  start() {
    this.running = true;
    this.connectedOnce = false;
    this.delay = MIN_DELAY_MS;
    this.connect();
  }

  stop() {
    this.running = false;
    clearTimeout(this.timer);
    if (this.socket) {
      const ws = this.socket;
      this.socket = null;
      ws.close();
    }
    this.say("signed out", "off");
  }

  connect() {
    if (!this.running) return;
    if (!can("incidents.read")) {
      this.say("no stream for this role", "off");
      return;
    }
    const scheme = location.protocol === "https:" ? "wss" : "ws";
    const url = `${scheme}://${location.host}/api/stream?kinds=${this.kinds().join(",")}`;
    this.say(this.connectedOnce ? "reconnecting…" : "connecting…", "connecting");
    const ws = new WebSocket(url);
    this.socket = ws;
    ws.addEventListener("message", (msg) => {
      let event;
      try {
        event = JSON.parse(msg.data);
      } catch {
        return;
      }
      if (event.kind === "hello") {
        this.say("live", "up");
        this.delay = MIN_DELAY_MS;
        if (this.connectedOnce) this.emit("resync", event);
        this.connectedOnce = true;
        return;
      }
      this.emit(event.kind, event);
    });
    ws.addEventListener("close", () => {
      if (this.socket !== ws || !this.running) return;
      this.socket = null;
      this.retry();
    });
  }

  retry() {
    const wait = Math.round(this.delay * (0.8 + Math.random() * 0.4));
    this.delay = Math.min(this.delay * 2, MAX_DELAY_MS);
    this.say(`disconnected, retrying in ${Math.ceil(wait / 1000)} s`, "down");
    this.timer = setTimeout(async () => {
      if (!this.running) return;
      try {
        await api("/api/auth/me"); // a 401 here signs the UI out instead of looping
      } catch (err) {
        if (err.status === 401) return;
        this.retry(); // artguard unreachable: keep backing off
        return;
      }
      this.connect();
    }, wait);
  }
}
