// The Workflow Builder step runner in the sidebar: the step's inputs in a small form, run as
// Slack would run the step (POST /api/workflow/run sends the signed function_executed event),
// and the outputs the bot completed the step with, or the error it failed it with.

import { api, toast } from "./api.js";
import { $, el } from "./dom.js";

const ID_TYPES = [
  ["", "inferred"],
  ["email", "email"],
  ["id", "CrowdTwist id"],
  ["third_party_id", "third-party id"],
  ["mobile_phone_number", "mobile phone number"],
];

function field(label, input) {
  const row = el("label", "step-field");
  row.append(el("span", "step-label", label), input);
  return row;
}

function input(name, type, placeholder) {
  const box = el("input", "step-input");
  box.name = name;
  box.type = type;
  if (placeholder) box.placeholder = placeholder;
  return box;
}

function idTypeSelect() {
  const select = el("select", "step-input");
  select.name = "id_type";
  for (const [value, label] of ID_TYPES) {
    const option = el("option", "", label);
    option.value = value;
    select.append(option);
  }
  return select;
}

function timestampText(seconds) {
  return new Date(seconds * 1000).toISOString().replace(".000Z", "Z");
}

function showResult(box, result) {
  box.replaceChildren();
  box.hidden = false;
  if (!result.ok) {
    box.className = "step-result is-error";
    box.append(el("div", "step-result-title", "completeError"), el("p", "", result.error));
  } else {
    box.className = "step-result is-ok";
    box.append(el("div", "step-result-title", "completeSuccess"));
    const list = el("dl", "step-outputs");
    for (const [name, value] of Object.entries(result.outputs)) {
      const shown = name === "last_purchase_date" ? timestampText(value) : String(value);
      list.append(el("dt", "", name), el("dd", name === "summary" ? "step-summary" : "", shown));
    }
    box.append(list);
  }
  if (result.token_ok === false) {
    box.append(el("p", "step-warning", "Sent with the wrong token (not the event's)."));
  }
}

/** Fill the sidebar's step panel: the inputs form and where the outcome is shown. */
export function renderWorkflowStep() {
  const panel = $("#workflow-panel");
  const form = el("form", "step-form");
  form.setAttribute("aria-label", "Run the Workflow Builder step");
  const result = el("div", "step-result");
  result.hidden = true;
  result.setAttribute("role", "status");
  const run = el("button", "try step-run", "Run step");
  run.type = "submit";
  form.append(
    field("member", input("member", "text", "grace.lindqvist@example.com")),
    field("id_type", idTypeSelect()),
    field("start_date", input("start_date", "text", "YYYY-MM-DD")),
    field("end_date", input("end_date", "text", "YYYY-MM-DD")),
    run,
  );
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const inputs = Object.fromEntries(new FormData(form).entries());
    run.disabled = true;
    run.textContent = "Running…";
    try {
      showResult(result, await api("/api/workflow/run", inputs));
    } catch (error) {
      toast(error.message);
    } finally {
      run.disabled = false;
      run.textContent = "Run step";
    }
  });
  panel.replaceChildren(
    el("div", "nav-title", "Workflow step"),
    el(
      "p",
      "panel-note",
      "lookup_purchase_history, as a workflow runs it: the outputs it completes with, or its error.",
    ),
    form,
    result,
  );
}
