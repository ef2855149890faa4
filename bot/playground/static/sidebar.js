// The sidebar's conversation list: channels, then direct messages with the app (shown once the
// app has opened one), each with its unread count.

import { switchTo } from "./channel.js";
import { $, el } from "./dom.js";
import { state } from "./state.js";

export function renderSidebar() {
  const channels = $("#channel-list");
  const dms = $("#dm-list");
  channels.replaceChildren();
  dms.replaceChildren();
  for (const conversation of state.conversations.values()) {
    const item = el("li");
    const link = el("button", "nav-item");
    link.type = "button";
    link.dataset.conversation = conversation.id;
    if (conversation.id === state.current) {
      link.classList.add("is-active");
      link.setAttribute("aria-current", "page");
    }
    const name = el("span", "nav-name");
    if (conversation.kind === "im") {
      name.append(el("span", "nav-avatar", "P"), document.createTextNode(conversation.name));
      name.append(el("span", "app-tag", "APP"));
    } else {
      name.append(el("span", "nav-hash", "#"), document.createTextNode(conversation.name));
    }
    link.append(name);
    const unread = state.unread.get(conversation.id) ?? 0;
    if (unread) {
      link.classList.add("has-unread");
      link.append(el("span", "nav-badge", String(unread)));
    }
    link.addEventListener("click", () => switchTo(conversation.id));
    item.append(link);
    (conversation.kind === "im" ? dms : channels).append(item);
  }
  $("#dm-section").hidden = dms.childElementCount === 0;
}
