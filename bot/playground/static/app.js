// The playground page: a Slack-like channel driving the real bot through the local server.
//
// The server is the source of truth. It streams a snapshot and then every change over
// Server-Sent Events (/api/events, events.js); the page only renders and posts what the person
// does (/api/command, /api/messages, /api/actions, /api/shortcut, /api/views/*). This entry
// module wires the page's controls to the views and opens the stream.

import { api, toast } from "./api.js";
import { composerKeys, sendFrom, setAuthor } from "./composer.js";
import { $ } from "./dom.js";
import { connect } from "./events.js";
import { installHome } from "./home.js";
import { closeMenu, menuKeys } from "./menu.js";
import { closeModal, trapFocus } from "./modal.js";
import { state } from "./state.js";
import { closeThread } from "./thread.js";
import { renderWorkflowStep } from "./workflow.js";

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
    if (event.key === "Escape" && state.shownModal) {
      event.preventDefault();
      closeModal(state.shownModal.id);
    }
  });
  document.addEventListener("click", (event) => {
    if (!$("#menu").contains(event.target)) closeMenu();
  });
  setAuthor("you");
  renderWorkflowStep();
  installHome();
  connect();
  input.focus();
}

start();
