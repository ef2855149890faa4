// The modal the bot opened (the top of its view stack): drawn from the view's blocks, with
// required fields checked, the bot's field errors shown, submit and close posted, focus trapped.

import { api, toast, withBusy } from "./api.js";
import { collectValues, plain, renderBlocks, showErrors } from "./blocks.js";
import { $, el } from "./dom.js";
import { ctx } from "./message.js";
import { state } from "./state.js";

export function renderModal() {
  const host = $("#modal-root");
  const top = state.modals.at(-1);
  if (!top) {
    if (state.shownModal) {
      host.replaceChildren();
      const back = state.shownModal.returnFocus;
      state.shownModal = null;
      (back?.isConnected ? back : $("#composer-input")).focus();
    }
    return;
  }
  const json = JSON.stringify(top.view);
  if (state.shownModal && state.shownModal.id === top.id && state.shownModal.json === json) {
    showErrors(state.shownModal.form, top.errors);
    setSubmitting(false);
    const invalid = $(".has-error .bk-field-control", state.shownModal.form);
    invalid?.focus();
    return;
  }
  const returnFocus = state.shownModal?.returnFocus ?? document.activeElement;
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
  state.shownModal = { id: top.id, json, form, returnFocus };
  const first =
    $(".has-error .bk-field-control", form) ??
    $(".bk-field-control", form) ??
    $(".modal-submit", form) ??
    cancel;
  first.focus();
}

function setSubmitting(on) {
  const submit = state.shownModal && $(".modal-submit", state.shownModal.form);
  if (!submit) return;
  submit.disabled = on;
  submit.classList.toggle("is-busy", on);
}

function viewAction(viewId) {
  return (block, element, chosen, control) => {
    const values = collectValues(state.shownModal?.form ?? document);
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

export function closeModal(viewId) {
  state.modals = state.modals.filter((m) => m.id !== viewId);
  renderModal();
  api("/api/views/close", { view_id: viewId }).catch((error) => toast(error.message));
}

export function trapFocus(event) {
  if (!state.shownModal || event.key !== "Tab") return;
  const focusable = [
    ...state.shownModal.form.querySelectorAll("button, input, select, textarea, a[href]"),
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
