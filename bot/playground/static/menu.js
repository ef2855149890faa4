// The message menu (⋮): reply in thread, and the "Purchase history" message shortcut.

import { acked, api, endBusy, startBusy, toast } from "./api.js";
import { $, el } from "./dom.js";
import { openThread } from "./thread.js";

function menuEntry(label, detail, run) {
  const entry = el("button", "menu-item");
  entry.type = "button";
  entry.setAttribute("role", "menuitem");
  entry.append(el("span", "menu-label", label));
  if (detail) entry.append(el("span", "menu-detail", detail));
  entry.addEventListener("click", () => {
    closeMenu();
    run();
  });
  return entry;
}

export function openMenu(message, anchor) {
  const menu = $("#menu");
  menu.replaceChildren(
    menuEntry("Reply in thread", "", () =>
      openThread(message.channel, message.thread_ts || message.ts, true),
    ),
    el("div", "menu-separator"),
    el("div", "menu-title", "Message shortcuts"),
    menuEntry("Purchase history", "Purchases", () => runShortcut(message)),
  );
  menu.hidden = false;
  const rect = anchor.getBoundingClientRect();
  const below = rect.bottom + 4;
  const top =
    below + menu.offsetHeight < window.innerHeight - 8
      ? below
      : Math.max(8, rect.top - menu.offsetHeight - 4);
  menu.style.top = `${top}px`;
  menu.style.left = `${Math.max(8, rect.right - menu.offsetWidth)}px`;
  menu.returnFocus = anchor;
  menu.querySelectorAll(".menu-item")[1].focus();
}

export function closeMenu() {
  const menu = $("#menu");
  if (menu.hidden) return;
  menu.hidden = true;
  if (menu.returnFocus?.isConnected) menu.returnFocus.focus();
}

export function menuKeys(event) {
  const menu = $("#menu");
  if (menu.hidden) return false;
  const items = [...menu.querySelectorAll(".menu-item")];
  const index = items.indexOf(document.activeElement);
  if (event.key === "ArrowDown" || event.key === "ArrowUp") {
    event.preventDefault();
    const step = event.key === "ArrowDown" ? 1 : -1;
    items[(index + step + items.length) % items.length].focus();
    return true;
  }
  if (event.key === "Escape") {
    event.preventDefault();
    closeMenu();
    return true;
  }
  return false;
}

async function runShortcut(message) {
  openThread(message.channel, message.thread_ts || message.ts);
  const status = $("#thread-status");
  status.textContent = "Purchase history: asking the Purchases app…";
  status.hidden = false;
  const entry = startBusy(status);
  try {
    const result = await api("/api/shortcut", { message_id: message.id });
    acked(entry, result.ok !== false);
  } catch (error) {
    endBusy(entry);
    toast(error.message);
  }
}
