// The message boxes (channel and thread): posting as you or the customer, the /purchases slash
// command with its hint, Tab completion and ↑/↓ history, and filling the box from a demo button.

import { api, toast, withBusy } from "./api.js";
import { switchTo } from "./channel.js";
import { $, el } from "./dom.js";
import { remember, state } from "./state.js";

export function updatePlaceholder() {
  const conversation = state.conversations.get(state.current);
  const where = conversation?.kind === "im" ? "Purchases" : `#${conversation?.name ?? "support"}`;
  $("#composer-input").placeholder =
    state.author === "customer"
      ? `Message ${where} as Casey Customer`
      : `Message ${where} — or type /purchases alice@example.com`;
  $("#thread-input").placeholder =
    state.author === "customer" ? "Reply as Casey Customer…" : "Reply…";
}

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
      " <member> [receipts] [<start> [<end>]] [type:…] [page:…] · help · alone: the form" +
        (typingCommand && value !== "/purchases" ? "   (Tab to complete)" : ""),
    ),
  );
}

export async function sendFrom(input, { threadTs = null, button = null } = {}) {
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

export function composerKeys(input, options) {
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

export function setAuthor(author) {
  state.author = author;
  for (const button of document.querySelectorAll("[data-author]")) {
    const on = button.dataset.author === author;
    button.setAttribute("aria-checked", String(on));
    button.classList.toggle("is-on", on);
  }
  $("#composer").classList.toggle("as-customer", author === "customer");
  updatePlaceholder();
}

export function fillComposer(text, author = null) {
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
