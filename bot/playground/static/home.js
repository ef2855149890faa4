// The app's Home tab for the signed-in agent, and permalinks that lead back into the page.
//
// The sidebar's "Purchases" entry opens Home: the server sends the bot app_home_opened, the bot
// answers with views.publish, and the published view (a "home" event) is drawn here with the
// same blocks renderer as messages. Its buttons post /api/home/actions; what they open (the
// form, an answer in the DM) arrives like any other change. A link to a message of this
// workspace (chat.getPermalink, e.g. on a shared card's note) opens that message here.

import { api, toast, withBusy } from "./api.js";
import { renderBlocks } from "./blocks.js";
import { switchTo } from "./channel.js";
import { $, el } from "./dom.js";
import { ctx, nodesFor } from "./message.js";
import { state } from "./state.js";
import { closeThread, openThread } from "./thread.js";

const PERMALINK = /\/archives\/([A-Z0-9]+)\/p(\d{7,})$/;

/** Wire the sidebar's Home entry, leaving Home for a conversation, and permalinks. */
export function installHome() {
  $("#home-entry").addEventListener("click", openHome);
  for (const list of [$("#channel-list"), $("#dm-list")]) {
    list.addEventListener("click", leaveHome, true);
  }
  document.addEventListener("click", followPermalink);
}

export function openHome() {
  state.onHome = true;
  closeThread();
  for (const item of document.querySelectorAll(".nav-item.is-active")) {
    item.classList.remove("is-active");
    item.removeAttribute("aria-current");
  }
  const entry = $("#home-entry");
  entry.classList.add("is-active");
  entry.setAttribute("aria-current", "page");
  $("#composer").hidden = true;
  $("#conv-title").textContent = "Purchases";
  $("#conv-topic").textContent = "Home · what the app shows you, and only you";
  document.title = "Purchases · Home · Purchases playground";
  renderHome();
  api("/api/home/open").catch((error) => toast(error.message));
}

function leaveHome() {
  if (!state.onHome) return;
  state.onHome = false;
  $("#home-entry").classList.remove("is-active");
  $("#home-entry").removeAttribute("aria-current");
  $("#composer").hidden = false;
}

/** The app published a new Home view for you (a "home" event, or the snapshot's). */
export function homeUpdated(view) {
  state.home = view ?? null;
  if (state.onHome) renderHome();
}

function renderHome() {
  const list = $("#messages");
  list.replaceChildren();
  const box = el("div", "home-view");
  box.setAttribute("aria-label", "Purchases Home");
  if (!state.home) {
    box.append(el("p", "home-loading", "Opening the app's Home…"));
  } else {
    box.append(renderBlocks(state.home.blocks, { ...ctx(), onAction: homeAction }));
  }
  list.append(box);
  list.scrollTop = 0;
}

function homeAction(block, element, chosen, control) {
  withBusy(control, () =>
    api("/api/home/actions", { block_id: block.block_id, action_id: element.action_id }),
  );
}

/** A message's link (Slack's /archives/<channel>/p<ts without the dot>) opens it here. */
function followPermalink(event) {
  const anchor = event.target.closest?.("a[href]");
  const found = anchor && PERMALINK.exec(new URL(anchor.href).pathname);
  if (!found) return;
  const [, channel, digits] = found;
  const ts = `${digits.slice(0, -6)}.${digits.slice(-6)}`;
  const message = [...state.messages.values()].find((m) => m.channel === channel && m.ts === ts);
  if (!message) return; // not one of ours: let the browser follow it
  event.preventDefault();
  leaveHome();
  switchTo(channel);
  const root = message.thread_ts && message.thread_ts !== message.ts ? message.thread_ts : null;
  if (root) openThread(channel, root);
  for (const node of nodesFor(message.id)) {
    node.classList.add("is-linked");
    node.scrollIntoView({ block: "center" });
    node.focus({ preventScroll: true });
  }
}
