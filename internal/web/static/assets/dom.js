// Small DOM helpers and the words the page shows for the API's values.

/**
 * h builds an element: attributes (on* keys become listeners), then children
 * (strings become text nodes; null and false are skipped).
 */
export function h(tag, attrs, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === null || v === undefined || v === false) continue;
    if (k.startsWith("on") && typeof v === "function") el.addEventListener(k.slice(2), v);
    else el.setAttribute(k, v === true ? "" : String(v));
  }
  for (const c of children) {
    if (c === null || c === undefined || c === false) continue;
    el.append(typeof c === "string" ? document.createTextNode(c) : c);
  }
  return el;
}

export function clear(el) {
  el.replaceChildren();
}

/** Reading statuses in the order the library groups them. */
export const STATUSES = ["reading", "re_reading", "plan_to_read", "on_hold", "completed", "dropped"];

const statusNames = {
  reading: "Reading",
  re_reading: "Re-reading",
  plan_to_read: "Plan to read",
  on_hold: "On hold",
  completed: "Completed",
  dropped: "Dropped",
};

export function statusName(s) {
  return statusNames[s] || s;
}

const publicationNames = { ongoing: "Ongoing", completed: "Completed", hiatus: "On hiatus", cancelled: "Cancelled" };

export function publicationName(s) {
  return publicationNames[s] || s;
}

const rtf = new Intl.RelativeTimeFormat(undefined, { numeric: "auto" });

export function relativeTime(iso) {
  const s = Math.round((new Date(iso).getTime() - Date.now()) / 1000);
  const abs = Math.abs(s);
  if (abs < 45) return "just now";
  if (abs < 3600) return rtf.format(Math.round(s / 60), "minute");
  if (abs < 86400) return rtf.format(Math.round(s / 3600), "hour");
  if (abs < 30 * 86400) return rtf.format(Math.round(s / 86400), "day");
  return new Date(iso).toLocaleDateString();
}
