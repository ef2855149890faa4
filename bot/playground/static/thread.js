// The thread pane on the right: a message and its replies, opened from the reply count, the
// message tools or the shortcut.

import { conversationLabel, reveal, scrollToEnd } from "./channel.js";
import { $, el } from "./dom.js";
import { isReply, messageNode, visible } from "./message.js";
import { state } from "./state.js";

export function openThread(channel, ts, focus = false) {
  state.thread = { channel, ts };
  document.body.classList.add("thread-open");
  $("#thread").hidden = false;
  renderThread();
  if (focus) $("#thread-input").focus();
}

export function closeThread() {
  state.thread = null;
  document.body.classList.remove("thread-open");
  $("#thread").hidden = true;
}

export function renderThread() {
  if (!state.thread) return;
  const { channel, ts } = state.thread;
  const list = $("#thread-messages");
  list.replaceChildren();
  const parent = [...state.messages.values()].find((m) => m.channel === channel && m.ts === ts);
  const conversation = state.conversations.get(channel);
  $("#thread-where").textContent = conversation ? conversationLabel(conversation) : "";
  if (!parent) {
    list.append(el("p", "empty", "This message is gone."));
    return;
  }
  list.append(messageNode(parent, "parent"));
  const divider = el("div", "thread-divider");
  divider.id = "thread-count";
  list.append(divider);
  for (const m of state.messages.values()) {
    if (m.channel === channel && isReply(m) && m.thread_ts === ts && visible(m)) {
      list.append(messageNode(m, "thread"));
    }
  }
  updateThreadCount();
  scrollToEnd(list);
}

function updateThreadCount() {
  const divider = $("#thread-count");
  if (!divider || !state.thread) return;
  const count = $("#thread-messages").querySelectorAll('.msg[data-where="thread"]').length;
  divider.textContent = count ? `${count} ${count === 1 ? "reply" : "replies"}` : "No replies yet";
}

export function appendToThread(message) {
  const list = $("#thread-messages");
  const node = messageNode(message, "thread");
  list.append(node);
  updateThreadCount();
  reveal(list, node);
  const status = $("#thread-status");
  if (message.user !== state.me) status.hidden = true;
}
