// Small DOM helpers shared by the pages: element builders (no HTML strings, so no injection
// and nothing the CSP `style-src 'self'` would block), time formatting, debouncing.

const SVG_NS = "http://www.w3.org/2000/svg";

function fill(el, attrs, children) {
  for (const [key, value] of Object.entries(attrs || {})) {
    if (value === undefined || value === null || value === false) continue;
    if (key.startsWith("on:")) el.addEventListener(key.slice(3), value);
    else if (key === "text") el.textContent = String(value);
    else el.setAttribute(key, value === true ? "" : String(value));
  }
  for (const child of children.flat(Infinity)) {
    if (child === undefined || child === null || child === false) continue;
    el.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return el;
}

/** An HTML element: h("button", {type: "button", "on:click": f}, "Label"). */
export function h(tag, attrs = {}, ...children) {
  return fill(document.createElement(tag), attrs, children);
}

/** An SVG element, same calling convention as h(). */
export function s(tag, attrs = {}, ...children) {
  return fill(document.createElementNS(SVG_NS, tag), attrs, children);
}

/** A button that runs `action` on click (keyboard: Enter and Space, as every button). */
export function button(label, action, attrs = {}) {
  return h("button", { type: "button", ...attrs, "on:click": action }, label);
}

function parse(iso) {
  if (!iso) return null;
  const date = new Date(iso);
  return Number.isNaN(date.getTime()) ? null : date;
}

/** "14:03:22" (local time of the screen), or "—". */
export function clock(iso) {
  const date = parse(iso);
  return date ? date.toLocaleTimeString([], { hour12: false }) : "—";
}

/** "2026-11-23 14:03" (local), or "—". */
export function dateTime(iso) {
  const date = parse(iso);
  if (!date) return "—";
  const pad = (n) => String(n).padStart(2, "0");
  return `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())} ` +
    `${pad(date.getHours())}:${pad(date.getMinutes())}`;
}

/** How long ago: "40 s", "12 min", "3 h 05 min", "2 d". */
export function age(iso, now = Date.now()) {
  const date = parse(iso);
  if (!date) return "—";
  const seconds = Math.max(0, Math.round((now - date.getTime()) / 1000));
  if (seconds < 60) return `${seconds} s`;
  const minutes = Math.floor(seconds / 60);
  if (minutes < 60) return `${minutes} min`;
  const hours = Math.floor(minutes / 60);
  if (hours < 48) return `${hours} h ${String(minutes % 60).padStart(2, "0")} min`;
  return `${Math.floor(hours / 24)} d`;
}

/** `fn` called once, `ms` after the last of a burst of calls. */
export function debounce(fn, ms) {
  let timer = null;
  const wrapped = (...args) => {
    clearTimeout(timer);
    timer = setTimeout(() => fn(...args), ms);
  };
  wrapped.cancel = () => clearTimeout(timer);
  return wrapped;
}

/** A section with a heading, for the parts of a page. */
export function section(title, attrs = {}, ...children) {
  const id = `h-${Math.random().toString(36).slice(2, 9)}`;
  return h("section", { "aria-labelledby": id, ...attrs }, h("h3", { id }, title), ...children);
}
