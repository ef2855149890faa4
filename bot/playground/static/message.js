// One message drawn as Slack draws it: author, time, the ephemeral note, its blocks or mrkdwn
// text, shared files, the reply count and the hover tools; and what its buttons post.

import { api, BUSY_TIMEOUT_MS, withBusy } from "./api.js";
import { collectValues, renderBlocks } from "./blocks.js";
import { dismissMessage } from "./channel.js";
import { el } from "./dom.js";
import { openMenu } from "./menu.js";
import { renderMrkdwn } from "./mrkdwn.js";
import { state } from "./state.js";
import { openThread } from "./thread.js";

/** What mentions are drawn with: {users, channels} by id. */
export function ctx() {
  const channels = {};
  for (const c of state.conversations.values()) channels[c.id] = c;
  return { users: state.users, channels };
}

/** A reply in a thread (not the message that starts it). */
export function isReply(message) {
  return Boolean(message.thread_ts) && message.thread_ts !== message.ts;
}

/** Not dismissed by the person (ephemeral messages can be). */
export function visible(message) {
  return !state.dismissed.has(message.id);
}

const AVATARS = {
  you: ["Y", "avatar-you"],
  casey: ["C", "avatar-customer"],
  purchases: ["P", "avatar-bot"],
  slackbot: ["S", "avatar-system"],
};

function timeOf(ts) {
  const date = new Date(Number(ts) * 1000);
  if (Number.isNaN(date.getTime())) return "";
  return new Intl.DateTimeFormat(undefined, { hour: "numeric", minute: "2-digit" }).format(date);
}

export function messageNode(message, where) {
  const node = el("div", "msg");
  node.dataset.id = message.id;
  node.dataset.where = where;
  node.tabIndex = -1;
  fillMessage(node, message);
  return node;
}

function replyCount(message) {
  let count = 0;
  for (const m of state.messages.values()) {
    if (m.channel === message.channel && isReply(m) && m.thread_ts === message.ts && visible(m)) {
      count += 1;
    }
  }
  return count;
}

export function fillMessage(node, message) {
  const pending = state.refocus;
  const wanted = pending && pending.node === node && Date.now() - pending.at < BUSY_TIMEOUT_MS;
  const focused = node.contains(document.activeElement) ? document.activeElement : null;
  const refocus = wanted ? pending.actionId : (focused?.dataset.actionId ?? null);
  if (wanted) state.refocus = null;
  fillMessageContent(node, message);
  if (focused || wanted) {
    // Keep the keyboard where it was: the same button (Next again) or the message itself.
    const again =
      (refocus && node.querySelector(`[data-action-id="${CSS.escape(refocus)}"]`)) ||
      node.querySelector(".bk-actions button");
    if (again) again.focus();
    else node.focus();
  }
}

function fillMessageContent(node, message) {
  const where = node.dataset.where;
  const user = state.users[message.user] ?? { name: message.user, real_name: message.user };
  node.className = "msg";
  node.classList.toggle("is-ephemeral", message.ephemeral);
  node.classList.toggle("is-system", message.kind === "system");
  node.classList.toggle("is-command", message.kind === "command");
  node.replaceChildren();

  if (message.kind === "command") {
    const line = el("div", "command-echo");
    line.append(el("span", "command-icon", "/"), el("span", "", "You used "));
    line.append(el("code", "", plainText(message.text)));
    line.append(el("span", "eph-tag", "Only visible to you"));
    node.append(line);
    return;
  }

  const [initial, avatarClass] = AVATARS[user.name] ?? [user.name.charAt(0).toUpperCase(), ""];
  const avatar = el("div", `avatar ${avatarClass}`, initial);
  avatar.setAttribute("aria-hidden", "true");
  const main = el("div", "msg-main");
  const head = el("div", "msg-head");
  head.append(el("span", "msg-author", user.real_name ?? user.name));
  if (user.is_bot && user.name !== "slackbot") head.append(el("span", "app-tag", "APP"));
  const time = el("time", "msg-time", timeOf(message.ts));
  head.append(time);
  if (message.edited) head.append(el("span", "msg-edited", "(edited)"));
  main.append(head);

  if (message.ephemeral) {
    const note = el("div", "eph-note");
    note.append(el("span", "eph-eye", "👁"), el("span", "", "Only visible to you"));
    const dismiss = el("button", "link-button", "Dismiss");
    dismiss.type = "button";
    dismiss.addEventListener("click", () => dismissMessage(message.id));
    note.append(dismiss);
    main.prepend(note);
  }

  const content = el("div", "msg-content");
  if (message.blocks?.length) {
    content.append(renderBlocks(message.blocks, { ...ctx(), onAction: messageAction(message) }));
  } else {
    const text = el("div", "msg-text");
    text.append(renderMrkdwn(message.text, ctx()));
    content.append(text);
  }
  main.append(content);
  if (message.files?.length) main.append(filesNode(message.files));

  if (where === "channel" && !isReply(message)) {
    const replies = replyCount(message);
    if (replies) {
      const summary = el(
        "button",
        "thread-summary",
        `${replies} ${replies === 1 ? "reply" : "replies"}`,
      );
      summary.type = "button";
      summary.addEventListener("click", () => openThread(message.channel, message.ts));
      main.append(summary);
    }
  }
  node.append(avatar, main);

  if (!message.ephemeral && message.kind === "message") {
    const tools = el("div", "msg-tools");
    const more = el("button", "msg-tool", "⋮");
    more.type = "button";
    more.title = "More actions";
    more.setAttribute("aria-label", "More actions");
    more.setAttribute("aria-haspopup", "menu");
    more.addEventListener("click", (event) => {
      event.stopPropagation();
      openMenu(message, more);
    });
    if (where !== "thread" && where !== "parent") {
      const reply = el("button", "msg-tool", "💬");
      reply.type = "button";
      reply.title = "Reply in thread";
      reply.setAttribute("aria-label", "Reply in thread");
      reply.addEventListener("click", () => openThread(message.channel, message.ts, true));
      tools.append(reply);
    }
    tools.append(more);
    node.append(tools);
  }
}

function plainText(mrkdwn) {
  const holder = el("div");
  holder.append(renderMrkdwn(mrkdwn));
  return holder.textContent;
}

function filesNode(files) {
  const box = el("div", "msg-files");
  for (const file of files) {
    const card = el("div", "file");
    const extension = (file.name.split(".").pop() ?? "file").slice(0, 4).toUpperCase();
    card.append(el("div", "file-icon", extension));
    const about = el("div", "file-about");
    const title = el("a", "file-title", file.title);
    title.href = file.url;
    title.download = file.name;
    about.append(title, el("div", "file-meta", `${file.name} · ${sizeOf(file.size)}`));
    const download = el("a", "file-download", "Download");
    download.href = file.url;
    download.download = file.name;
    card.append(about, download);
    box.append(card);
  }
  return box;
}

function sizeOf(bytes) {
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(1)} KB`;
  return `${(bytes / 1024 / 1024).toFixed(1)} MB`;
}

export function nodesFor(id) {
  return document.querySelectorAll(`.msg[data-id="${CSS.escape(id)}"]`);
}

export function messageAction(message) {
  return (block, element, chosen, control) => {
    const holder = control.closest(".msg");
    const values = holder ? collectValues(holder) : {};
    if (holder) state.refocus = { node: holder, actionId: element.action_id, at: Date.now() };
    withBusy(control, () =>
      api("/api/actions", {
        message_id: message.id,
        block_id: block.block_id,
        action_id: element.action_id,
        chosen,
        values,
      }),
    );
  };
}
