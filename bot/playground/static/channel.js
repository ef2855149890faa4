// The conversation view: the channel (or a direct message with the app) in the middle pane, and
// where a new, changed, removed or dismissed message lands (the list, a thread, or unread).

import { updatePlaceholder } from "./composer.js";
import { $, el } from "./dom.js";
import { fillMessage, isReply, messageNode, nodesFor, visible } from "./message.js";
import { renderSidebar } from "./sidebar.js";
import { state } from "./state.js";
import { appendToThread, closeThread } from "./thread.js";

export function conversationLabel(conversation) {
  return conversation.kind === "im" ? conversation.name : `# ${conversation.name}`;
}

export function switchTo(conversationId) {
  state.current = conversationId;
  state.unread.delete(conversationId);
  if (state.thread && state.thread.channel !== conversationId) closeThread();
  renderSidebar();
  renderConversation();
  $("#composer-input").focus();
}

export function renderConversation() {
  const conversation = state.conversations.get(state.current);
  if (!conversation) return;
  const list = $("#messages");
  list.replaceChildren();
  const shown = [...state.messages.values()].filter(
    (m) => m.channel === state.current && !isReply(m) && visible(m),
  );
  if (shown.length === 0) list.append(emptyState(conversation));
  for (const message of shown) list.append(messageNode(message, "channel"));
  $("#conv-title").textContent = conversationLabel(conversation);
  $("#conv-topic").textContent =
    conversation.kind === "im"
      ? "Direct messages with the Purchases app: files it sends you land here."
      : "Where customer care looks up loyalty purchases.";
  updatePlaceholder();
  document.title = `${conversationLabel(conversation)} · Purchases playground`;
  scrollToEnd(list);
}

function emptyState(conversation) {
  const box = el("div", "empty");
  if (conversation.kind === "im") {
    box.append(
      el("p", "", "Nothing here yet. Files the app sends you (like a CSV export) appear here."),
    );
    return box;
  }
  box.append(el("h2", "", `This is the very beginning of #${conversation.name}`));
  const p = el("p");
  p.append(
    "Type ",
    el("code", "", "/purchases alice@example.com"),
    " and press Enter, or pick a demo member on the left. Switch “Post as” to Customer to " +
      "post a customer's message, then use ⋮ → Purchase history on it.",
  );
  box.append(p);
  return box;
}

export function scrollToEnd(list) {
  list.scrollTop = list.scrollHeight;
}

/** Bring a new message into view: its end, or its start when it is taller than the list. */
export function reveal(list, node) {
  if (node.offsetHeight > list.clientHeight - 24) {
    list.scrollTop = node.offsetTop - 8; // .messages is the offsetParent
  } else {
    scrollToEnd(list);
  }
}

export function upsertMessage(message) {
  const existed = state.messages.has(message.id);
  state.messages.set(message.id, message);
  for (const node of nodesFor(message.id)) fillMessage(node, message);
  if (existed) return;

  if (isReply(message)) {
    const parent = [...state.messages.values()].find(
      (m) => m.channel === message.channel && m.ts === message.thread_ts,
    );
    if (parent) for (const node of nodesFor(parent.id)) fillMessage(node, parent);
    if (state.thread?.channel === message.channel && state.thread.ts === message.thread_ts) {
      appendToThread(message);
    }
    return;
  }
  if (message.channel === state.current && !state.onHome) {
    const list = $("#messages");
    $(".empty", list)?.remove();
    const node = messageNode(message, "channel");
    list.append(node);
    reveal(list, node);
  } else {
    state.unread.set(message.channel, (state.unread.get(message.channel) ?? 0) + 1);
    renderSidebar();
  }
}

export function removeMessage(id) {
  const message = state.messages.get(id);
  state.messages.delete(id);
  for (const node of nodesFor(id)) node.remove();
  if (message && isReply(message)) {
    const parent = [...state.messages.values()].find(
      (m) => m.channel === message.channel && m.ts === message.thread_ts,
    );
    if (parent) for (const node of nodesFor(parent.id)) fillMessage(node, parent);
  }
}

export function dismissMessage(id) {
  state.dismissed.add(id);
  for (const node of nodesFor(id)) node.remove();
}
