// The playground page: a Slack-like channel driving the real bot through the local server.
//
// The server is the source of truth. It streams a snapshot and then every change over
// Server-Sent Events (/api/events); the page only renders and posts what the person does
// (/api/command, /api/messages, /api/actions, /api/shortcut, /api/views/*).

import { collectValues, plain, renderBlocks, showErrors } from "./blocks.js";
import { renderMrkdwn } from "./mrkdwn.js";

const HISTORY_KEY = "purchases-playground-history";
const BUSY_TIMEOUT_MS = 10000;

const state = {
  users: {},
  me: "",
  info: {},
  conversations: new Map(),
  messages: new Map(),
  modals: [],
  current: null,
  thread: null, // {channel, ts}
  author: "you",
  history: loadHistory(),
  historyIndex: null,
  unread: new Map(),
  dismissed: new Set(),
  events: 0,
  refocus: null, // {node, actionId}: where the keyboard goes when a clicked message is redrawn
};

const $ = (selector, root = document) => root.querySelector(selector);

function el(tag, className, text) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined) node.textContent = text;
  return node;
}

function loadHistory() {
  try {
    const stored = JSON.parse(localStorage.getItem(HISTORY_KEY) ?? "[]");
    return Array.isArray(stored) ? stored.filter((x) => typeof x === "string").slice(-50) : [];
  } catch {
    return [];
  }
}

function remember(command) {
  state.history = state.history
    .filter((c) => c !== command)
    .concat(command)
    .slice(-50);
  try {
    localStorage.setItem(HISTORY_KEY, JSON.stringify(state.history));
  } catch {
    // private mode: history lasts for this page only
  }
}

// ---------------------------------------------------------------------------------------------
// Talking to the server
// ---------------------------------------------------------------------------------------------

async function api(path, body) {
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

function toast(message) {
  const box = $("#toast");
  box.textContent = message;
  box.hidden = false;
  clearTimeout(toast.timer);
  toast.timer = setTimeout(() => {
    box.hidden = true;
  }, 5000);
}

function connect() {
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
    case "modals":
      state.modals = event.modals;
      renderModal();
      break;
    default:
      break;
  }
  settleBusy();
}

// ---------------------------------------------------------------------------------------------
// Busy state: from the click until the bot has acknowledged and something has happened
// ---------------------------------------------------------------------------------------------

const busy = new Set();

function startBusy(control) {
  const entry = { control, acked: false, seen: state.events, timer: null };
  control.classList.add("is-busy");
  control.setAttribute("aria-busy", "true");
  if ("disabled" in control) control.disabled = true;
  entry.timer = setTimeout(() => endBusy(entry), BUSY_TIMEOUT_MS);
  busy.add(entry);
  return entry;
}

function endBusy(entry) {
  clearTimeout(entry.timer);
  busy.delete(entry);
  entry.control.classList.remove("is-busy");
  entry.control.removeAttribute("aria-busy");
  if ("disabled" in entry.control) entry.control.disabled = false;
}

function acked(entry, ok) {
  entry.acked = true;
  if (!ok || state.events > entry.seen) endBusy(entry);
}

function settleBusy() {
  for (const entry of [...busy]) {
    if (entry.acked || !entry.control.isConnected) endBusy(entry);
  }
}

async function withBusy(control, request) {
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

// ---------------------------------------------------------------------------------------------
// Snapshot and conversations
// ---------------------------------------------------------------------------------------------

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
}

function ctx() {
  const channels = {};
  for (const c of state.conversations.values()) channels[c.id] = c;
  return { users: state.users, channels };
}

function conversationLabel(conversation) {
  return conversation.kind === "im" ? conversation.name : `# ${conversation.name}`;
}

function renderSidebar() {
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

function switchTo(conversationId) {
  state.current = conversationId;
  state.unread.delete(conversationId);
  if (state.thread && state.thread.channel !== conversationId) closeThread();
  renderSidebar();
  renderConversation();
  $("#composer-input").focus();
}

function isReply(message) {
  return Boolean(message.thread_ts) && message.thread_ts !== message.ts;
}

function visible(message) {
  return !state.dismissed.has(message.id);
}

function renderConversation() {
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

function updatePlaceholder() {
  const conversation = state.conversations.get(state.current);
  const where = conversation?.kind === "im" ? "Purchases" : `#${conversation?.name ?? "support"}`;
  $("#composer-input").placeholder =
    state.author === "customer"
      ? `Message ${where} as Casey Customer`
      : `Message ${where} — or type /purchases alice@example.com`;
  $("#thread-input").placeholder =
    state.author === "customer" ? "Reply as Casey Customer…" : "Reply…";
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

function scrollToEnd(list) {
  list.scrollTop = list.scrollHeight;
}

/** Bring a new message into view: its end, or its start when it is taller than the list. */
function reveal(list, node) {
  if (node.offsetHeight > list.clientHeight - 24) {
    list.scrollTop = node.offsetTop - 8; // .messages is the offsetParent
  } else {
    scrollToEnd(list);
  }
}

// ---------------------------------------------------------------------------------------------
// Messages
// ---------------------------------------------------------------------------------------------

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

function messageNode(message, where) {
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

function fillMessage(node, message) {
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

function nodesFor(id) {
  return document.querySelectorAll(`.msg[data-id="${CSS.escape(id)}"]`);
}

function upsertMessage(message) {
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
  if (message.channel === state.current) {
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

function removeMessage(id) {
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

function dismissMessage(id) {
  state.dismissed.add(id);
  for (const node of nodesFor(id)) node.remove();
}

function messageAction(message) {
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

// ---------------------------------------------------------------------------------------------
// The message menu (⋮) and the shortcut
// ---------------------------------------------------------------------------------------------

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

function openMenu(message, anchor) {
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

function closeMenu() {
  const menu = $("#menu");
  if (menu.hidden) return;
  menu.hidden = true;
  if (menu.returnFocus?.isConnected) menu.returnFocus.focus();
}

function menuKeys(event) {
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

// ---------------------------------------------------------------------------------------------
// The thread pane
// ---------------------------------------------------------------------------------------------

function openThread(channel, ts, focus = false) {
  state.thread = { channel, ts };
  document.body.classList.add("thread-open");
  $("#thread").hidden = false;
  renderThread();
  if (focus) $("#thread-input").focus();
}

function closeThread() {
  state.thread = null;
  document.body.classList.remove("thread-open");
  $("#thread").hidden = true;
}

function renderThread() {
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

function appendToThread(message) {
  const list = $("#thread-messages");
  const node = messageNode(message, "thread");
  list.append(node);
  updateThreadCount();
  reveal(list, node);
  const status = $("#thread-status");
  if (message.user !== state.me) status.hidden = true;
}

// ---------------------------------------------------------------------------------------------
// Modals
// ---------------------------------------------------------------------------------------------

let shownModal = null; // {id, json, form, returnFocus}

function renderModal() {
  const host = $("#modal-root");
  const top = state.modals.at(-1);
  if (!top) {
    if (shownModal) {
      host.replaceChildren();
      const back = shownModal.returnFocus;
      shownModal = null;
      (back?.isConnected ? back : $("#composer-input")).focus();
    }
    return;
  }
  const json = JSON.stringify(top.view);
  if (shownModal && shownModal.id === top.id && shownModal.json === json) {
    showErrors(shownModal.form, top.errors);
    setSubmitting(false);
    const invalid = $(".has-error .bk-field-control", shownModal.form);
    invalid?.focus();
    return;
  }
  const returnFocus = shownModal?.returnFocus ?? document.activeElement;
  const overlay = el("div", "modal-overlay");
  const form = el("form", "modal");
  form.setAttribute("role", "dialog");
  form.setAttribute("aria-modal", "true");
  form.setAttribute("aria-labelledby", "modal-title");
  form.noValidate = true;
  const head = el("div", "modal-head");
  const title = el("h2", "modal-title", plain(top.view.title));
  title.id = "modal-title";
  const close = el("button", "modal-x", "✕");
  close.type = "button";
  close.setAttribute("aria-label", "Close");
  close.addEventListener("click", () => closeModal(top.id));
  head.append(title, close);
  const body = el("div", "modal-body");
  body.append(
    renderBlocks(top.view.blocks, {
      ...ctx(),
      errors: top.errors,
      onAction: viewAction(top.id),
    }),
  );
  const foot = el("div", "modal-foot");
  const problem = el("div", "modal-problem");
  problem.setAttribute("role", "alert");
  foot.append(problem);
  const cancel = el("button", "bk-button", plain(top.view.close) || "Cancel");
  cancel.type = "button";
  cancel.addEventListener("click", () => closeModal(top.id));
  foot.append(cancel);
  if (top.view.submit) {
    const submit = el("button", "bk-button bk-primary modal-submit", plain(top.view.submit));
    submit.type = "submit";
    foot.append(submit);
  }
  form.append(head, body, foot);
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    submitModal(top.id, form);
  });
  overlay.append(form);
  host.replaceChildren(overlay);
  shownModal = { id: top.id, json, form, returnFocus };
  const first =
    $(".has-error .bk-field-control", form) ??
    $(".bk-field-control", form) ??
    $(".modal-submit", form) ??
    cancel;
  first.focus();
}

function setSubmitting(on) {
  const submit = shownModal && $(".modal-submit", shownModal.form);
  if (!submit) return;
  submit.disabled = on;
  submit.classList.toggle("is-busy", on);
}

function viewAction(viewId) {
  return (block, element, chosen, control) => {
    const values = collectValues(shownModal?.form ?? document);
    withBusy(control, () =>
      api("/api/actions", {
        view_id: viewId,
        block_id: block.block_id,
        action_id: element.action_id,
        chosen,
        values,
      }),
    );
  };
}

async function submitModal(viewId, form) {
  const missing = {};
  for (const control of form.querySelectorAll(".bk-field-control")) {
    if (control.dataset.optional !== "true" && !control.value.trim()) {
      missing[control.dataset.blockId] = "Please complete this required field.";
    }
  }
  showErrors(form, missing);
  const firstMissing = $(".has-error .bk-field-control", form);
  if (firstMissing) {
    firstMissing.focus();
    return;
  }
  $(".modal-problem", form).textContent = "";
  setSubmitting(true);
  try {
    const result = await api("/api/views/submit", { view_id: viewId, values: collectValues(form) });
    if (result.ok === false) {
      setSubmitting(false);
      $(".modal-problem", form).textContent =
        `We had some trouble connecting (${result.error ?? `HTTP ${result.status}`}). Try again?`;
    }
  } catch (error) {
    setSubmitting(false);
    $(".modal-problem", form).textContent = error.message;
  }
}

function closeModal(viewId) {
  state.modals = state.modals.filter((m) => m.id !== viewId);
  renderModal();
  api("/api/views/close", { view_id: viewId }).catch((error) => toast(error.message));
}

function trapFocus(event) {
  if (!shownModal || event.key !== "Tab") return;
  const focusable = [
    ...shownModal.form.querySelectorAll("button, input, select, textarea, a[href]"),
  ].filter((node) => !node.disabled);
  if (!focusable.length) return;
  const first = focusable[0];
  const last = focusable.at(-1);
  if (event.shiftKey && document.activeElement === first) {
    event.preventDefault();
    last.focus();
  } else if (!event.shiftKey && document.activeElement === last) {
    event.preventDefault();
    first.focus();
  }
}

// ---------------------------------------------------------------------------------------------
// Composers
// ---------------------------------------------------------------------------------------------

function autosize(input) {
  input.style.height = "auto";
  input.style.height = `${Math.min(input.scrollHeight, 200)}px`;
}

function showCommandHint(input, hint) {
  const value = input.value;
  const typingCommand = /^\/\S*$/.test(value) && "/purchases".startsWith(value);
  const usingCommand = /^\/purchases(\s|$)/.test(value);
  hint.replaceChildren();
  hint.hidden = !(typingCommand || usingCommand);
  if (hint.hidden) return;
  hint.append(el("code", "", "/purchases"));
  hint.append(
    el(
      "span",
      "",
      " <member> [<start> [<end>]] [type:…] [page:…] · help · alone: the form" +
        (typingCommand && value !== "/purchases" ? "   (Tab to complete)" : ""),
    ),
  );
}

async function sendFrom(input, { threadTs = null, button = null } = {}) {
  const text = input.value;
  if (!text.trim()) return;
  input.value = "";
  autosize(input);
  state.historyIndex = null;
  const hint = input.closest("form")?.querySelector(".command-hint");
  if (hint) showCommandHint(input, hint);
  const channel = threadTs ? state.thread.channel : state.current;
  const request = text.trim().startsWith("/")
    ? () => {
        remember(text.trim());
        return api("/api/command", { text, channel, thread_ts: threadTs });
      }
    : () =>
        api("/api/messages", {
          text,
          channel,
          author: state.author,
          thread_ts: threadTs,
        });
  if (button) await withBusy(button, request);
  else await request().catch((error) => toast(error.message));
}

function composerKeys(input, options) {
  input.addEventListener("keydown", (event) => {
    if (event.isComposing) return;
    if (event.key === "Enter" && !event.shiftKey) {
      event.preventDefault();
      sendFrom(input, options());
      return;
    }
    const partial = /^\/\S+$/.test(input.value) && "/purchases".startsWith(input.value);
    if (event.key === "Tab" && partial) {
      event.preventDefault();
      input.value = "/purchases ";
      input.dispatchEvent(new Event("input"));
      return;
    }
    if (event.key === "ArrowUp" && (input.value === "" || state.historyIndex !== null)) {
      if (!state.history.length) return;
      event.preventDefault();
      const index =
        state.historyIndex === null
          ? state.history.length - 1
          : Math.max(0, state.historyIndex - 1);
      state.historyIndex = index;
      input.value = state.history[index];
      input.dispatchEvent(new Event("input"));
      input.setSelectionRange(input.value.length, input.value.length);
      return;
    }
    if (event.key === "ArrowDown" && state.historyIndex !== null) {
      event.preventDefault();
      const index = state.historyIndex + 1;
      state.historyIndex = index < state.history.length ? index : null;
      input.value = state.historyIndex === null ? "" : state.history[index];
      input.dispatchEvent(new Event("input"));
    }
  });
  input.addEventListener("input", (event) => {
    autosize(input);
    // Typing (a trusted event) leaves history browsing; our own recalls do not.
    if (event.isTrusted || input.value === "") state.historyIndex = null;
    const hint = input.closest("form")?.querySelector(".command-hint");
    if (hint) showCommandHint(input, hint);
  });
}

function setAuthor(author) {
  state.author = author;
  for (const button of document.querySelectorAll("[data-author]")) {
    const on = button.dataset.author === author;
    button.setAttribute("aria-checked", String(on));
    button.classList.toggle("is-on", on);
  }
  $("#composer").classList.toggle("as-customer", author === "customer");
  updatePlaceholder();
}

function fillComposer(text, author = null) {
  if (author) setAuthor(author);
  if (state.conversations.get(state.current)?.kind !== "channel") {
    switchTo([...state.conversations.values()].find((c) => c.kind === "channel").id);
  }
  const input = $("#composer-input");
  input.value = text;
  input.dispatchEvent(new Event("input"));
  input.focus();
  input.setSelectionRange(text.length, text.length);
}

// ---------------------------------------------------------------------------------------------
// The data panel (sandbox demo members, or the live CrowdTwist warning)
// ---------------------------------------------------------------------------------------------

function tryButton(label, command, title) {
  const button = el("button", "try", label);
  button.type = "button";
  button.title = title ?? `Fill the composer with: ${command}`;
  button.dataset.command = command;
  button.addEventListener("click", () => fillComposer(command, "you"));
  return button;
}

function renderInfo() {
  const info = state.info;
  const panel = $("#data-panel");
  panel.replaceChildren();
  const badge = $("#data-badge");
  const banner = $("#banner");
  banner.replaceChildren();
  if (info.sandbox) {
    badge.textContent = "sandbox data";
    badge.className = "data-badge is-sandbox";
    banner.hidden = true;
  } else {
    badge.textContent = "live CrowdTwist";
    badge.className = "data-badge is-live";
    banner.hidden = false;
    banner.append(
      el("strong", "", "Live CrowdTwist: "),
      document.createTextNode(
        `this playground talks to ${info.crowdtwist ?? "CrowdTwist"} with your API key, ` +
          "so lookups show real members' data. Only you see this page.",
      ),
    );
  }

  panel.append(el("div", "nav-title", info.sandbox ? "Sandbox data" : "Live CrowdTwist"));
  panel.append(
    el(
      "p",
      "panel-note",
      info.sandbox
        ? "Demo members from the built-in CrowdTwist sandbox. A click fills the composer; press Enter to send."
        : `Connected to ${info.crowdtwist}. No demo members here: type a real member's email.`,
    ),
  );
  for (const member of info.members ?? []) {
    const card = el("div", "member");
    const name = el("div", "member-name");
    name.append(el("span", "", member.name));
    card.append(name, el("div", "member-about", member.description));
    const tries = el("div", "tries");
    for (const item of member.tries) tries.append(tryButton(item.label, item.command));
    card.append(tries);
    panel.append(card);
  }
  if (info.members?.length) {
    const customer = el("div", "member");
    customer.append(el("div", "member-name", "A customer writes in"));
    customer.append(
      el("div", "member-about", "Posts as the customer; then ⋮ → Purchase history on it."),
    );
    const tries = el("div", "tries");
    const email = info.members[0].email;
    const write = el("button", "try", "customer message");
    write.type = "button";
    write.addEventListener("click", () =>
      fillComposer(
        `Hi! I'm ${email} and the points for my order last week never showed up.`,
        "customer",
      ),
    );
    tries.append(write);
    customer.append(tries);
    panel.append(customer);
  }
  if (info.failures?.length) {
    panel.append(el("div", "nav-title", "Failure demos"));
    for (const failure of info.failures) {
      const card = el("div", "member is-failure");
      card.append(el("div", "member-about", failure.description));
      const tries = el("div", "tries");
      tries.append(tryButton(failure.email, failure.command));
      card.append(tries);
      panel.append(card);
    }
  }
  if (info.examples?.length) {
    panel.append(el("div", "nav-title", "More to try"));
    const tries = el("div", "tries examples");
    for (const example of info.examples) {
      tries.append(tryButton(example.replace(/^\/purchases ?/, "") || "(the form)", example));
    }
    panel.append(tries);
  }
}

// ---------------------------------------------------------------------------------------------
// Start
// ---------------------------------------------------------------------------------------------

function start() {
  const input = $("#composer-input");
  composerKeys(input, () => ({ button: $("#send") }));
  $("#composer").addEventListener("submit", (event) => {
    event.preventDefault();
    sendFrom(input, { button: $("#send") });
  });
  const threadInput = $("#thread-input");
  composerKeys(threadInput, () => ({ threadTs: state.thread?.ts }));
  $("#thread-composer").addEventListener("submit", (event) => {
    event.preventDefault();
    sendFrom(threadInput, { threadTs: state.thread?.ts });
  });
  $("#thread-close").addEventListener("click", closeThread);
  for (const button of document.querySelectorAll("[data-author]")) {
    button.addEventListener("click", () => setAuthor(button.dataset.author));
  }
  $("#clear").addEventListener("click", () => {
    state.dismissed.clear();
    closeThread();
    api("/api/clear").catch((error) => toast(error.message));
  });
  document.addEventListener("keydown", (event) => {
    if (menuKeys(event)) return;
    trapFocus(event);
    if (event.key === "Escape" && shownModal) {
      event.preventDefault();
      closeModal(shownModal.id);
    }
  });
  document.addEventListener("click", (event) => {
    if (!$("#menu").contains(event.target)) closeMenu();
  });
  setAuthor("you");
  connect();
  input.focus();
}

start();
