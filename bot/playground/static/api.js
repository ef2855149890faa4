// Talking to the server: JSON posts to /api/*, the busy state of the control that caused one
// (from the click until the bot has acknowledged and something has happened), and error toasts.

import { $ } from "./dom.js";
import { state } from "./state.js";

export const BUSY_TIMEOUT_MS = 10000;

export async function api(path, body) {
  const response = await fetch(path, {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify(body ?? {}),
  });
  const text = await response.text();
  let data = null;
  try {
    data = text ? JSON.parse(text) : null;
  } catch {
    data = null;
  }
  if (!response.ok) throw new Error(data?.error ?? (text || `HTTP ${response.status}`));
  return data ?? {};
}

export function toast(message) {
  const box = $("#toast");
  box.textContent = message;
  box.hidden = false;
  clearTimeout(state.toastTimer);
  state.toastTimer = setTimeout(() => {
    box.hidden = true;
  }, 5000);
}

// ---------------------------------------------------------------------------------------------
// Busy state: from the click until the bot has acknowledged and something has happened
// ---------------------------------------------------------------------------------------------

export function startBusy(control) {
  const entry = { control, acked: false, seen: state.events, timer: null };
  control.classList.add("is-busy");
  control.setAttribute("aria-busy", "true");
  if ("disabled" in control) control.disabled = true;
  entry.timer = setTimeout(() => endBusy(entry), BUSY_TIMEOUT_MS);
  state.busy.add(entry);
  return entry;
}

export function endBusy(entry) {
  clearTimeout(entry.timer);
  state.busy.delete(entry);
  entry.control.classList.remove("is-busy");
  entry.control.removeAttribute("aria-busy");
  if ("disabled" in entry.control) entry.control.disabled = false;
}

export function acked(entry, ok) {
  entry.acked = true;
  if (!ok || state.events > entry.seen) endBusy(entry);
}

/** After each event from the server: free the controls whose request has been acknowledged. */
export function settleBusy() {
  for (const entry of [...state.busy]) {
    if (entry.acked || !entry.control.isConnected) endBusy(entry);
  }
}

export async function withBusy(control, request) {
  const entry = startBusy(control);
  try {
    const result = await request();
    acked(entry, result?.ok !== false);
    return result;
  } catch (error) {
    endBusy(entry);
    toast(error.message);
    return null;
  }
}
