// The Server-Sent Events stream (/api/events): a snapshot, then every change, each handed to the
// view it concerns. The server is the source of truth; the page only draws what it is told.

import { settleBusy } from "./api.js";
import { removeMessage, renderConversation, upsertMessage } from "./channel.js";
import { $ } from "./dom.js";
import { homeUpdated } from "./home.js";
import { renderModal } from "./modal.js";
import { renderInfo } from "./panel.js";
import { renderSidebar } from "./sidebar.js";
import { state } from "./state.js";
import { renderThread } from "./thread.js";

export function connect() {
  const source = new EventSource("/api/events");
  source.onopen = () => setLive(true);
  source.onerror = () => setLive(false);
  source.onmessage = (event) => handle(JSON.parse(event.data));
}

function setLive(live) {
  const badge = $("#live");
  badge.textContent = live ? "live" : "reconnecting…";
  badge.classList.toggle("is-down", !live);
}

function handle(event) {
  state.events += 1;
  switch (event.type) {
    case "snapshot":
      applySnapshot(event);
      break;
    case "message":
      upsertMessage(event.message);
      break;
    case "removed":
      removeMessage(event.id);
      break;
    case "conversation":
      state.conversations.set(event.conversation.id, event.conversation);
      renderSidebar();
      break;
    case "home":
      homeUpdated(event.view);
      break;
    case "modals":
      state.modals = event.modals;
      renderModal();
      break;
    default:
      break;
  }
  settleBusy();
}

function applySnapshot(snapshot) {
  state.users = snapshot.users;
  state.me = snapshot.me;
  state.info = snapshot.info ?? {};
  state.conversations = new Map(snapshot.conversations.map((c) => [c.id, c]));
  state.messages = new Map(snapshot.messages.map((m) => [m.id, m]));
  state.modals = snapshot.modals;
  if (!state.current || !state.conversations.has(state.current)) {
    state.current = snapshot.conversations[0]?.id ?? null;
  }
  renderInfo();
  renderSidebar();
  renderConversation();
  renderThread();
  renderModal();
  homeUpdated(snapshot.home);
}
