// Block Kit → DOM: the blocks the bot sends, drawn as Slack draws them (in spirit).
//
// Messages: header, section (text, fields, accessory), context, divider, actions (buttons with
// primary/danger style, static_select, datepicker), image. Modals add input blocks
// (plain_text_input, static_select, datepicker) with their labels, hints and errors.
// Anything else is shown as a labelled placeholder rather than dropped silently.

import { el } from "./dom.js";
import { emojify, renderMrkdwn, renderText } from "./mrkdwn.js";

function plain(textObject) {
  if (!textObject) return "";
  const text = String(textObject.text ?? "");
  return textObject.emoji === false ? text : emojify(text);
}

// ---------------------------------------------------------------------------------------------
// Elements
// ---------------------------------------------------------------------------------------------

function button(element, block, ctx) {
  const node = el("button", "bk-button");
  node.type = "button";
  if (element.style === "primary" || element.style === "danger") {
    node.classList.add(`bk-${element.style}`);
  }
  node.append(el("span", "bk-button-label", plain(element.text)));
  node.dataset.actionId = element.action_id ?? "";
  node.dataset.blockId = block.block_id ?? "";
  if (element.accessibility_label) node.setAttribute("aria-label", element.accessibility_label);
  node.addEventListener("click", () => {
    if (element.url) window.open(element.url, "_blank", "noopener");
    ctx.onAction?.(block, element, null, node);
  });
  return node;
}

function optionNodes(select, element) {
  const placeholder = el("option", "", plain(element.placeholder) || "Select an item");
  placeholder.value = "";
  placeholder.disabled = true;
  select.append(placeholder);
  const groups = element.option_groups
    ? element.option_groups.map((g) => [plain(g.label), g.options ?? []])
    : [[null, element.options ?? []]];
  for (const [label, options] of groups) {
    const parent = label ? el("optgroup") : select;
    if (label) {
      parent.label = label;
      select.append(parent);
    }
    for (const option of options) {
      const node = el("option", "", plain(option.text));
      node.value = option.value ?? "";
      parent.append(node);
    }
  }
  select.value = element.initial_option?.value ?? "";
}

function staticSelect(element, block, ctx, interactive) {
  const select = el("select", "bk-select");
  optionNodes(select, element);
  select.dataset.actionId = element.action_id ?? "";
  select.dataset.blockId = block.block_id ?? "";
  if (interactive) {
    select.addEventListener("change", () => ctx.onAction?.(block, element, select.value, select));
  }
  return select;
}

function datepicker(element, block, ctx, interactive) {
  const input = el("input", "bk-date");
  input.type = "date";
  input.value = element.initial_date ?? "";
  input.dataset.actionId = element.action_id ?? "";
  input.dataset.blockId = block.block_id ?? "";
  if (element.placeholder) input.title = plain(element.placeholder);
  if (interactive) {
    input.addEventListener("change", () => ctx.onAction?.(block, element, input.value, input));
  }
  return input;
}

function image(element) {
  const node = el("img", "bk-image-element");
  node.alt = element.alt_text ?? "";
  node.title = element.alt_text ?? "";
  if (/^(https?:|data:)/.test(element.image_url ?? "")) node.src = element.image_url;
  return node;
}

function element(elementObject, block, ctx) {
  switch (elementObject?.type) {
    case "button":
      return button(elementObject, block, ctx);
    case "static_select":
      return staticSelect(elementObject, block, ctx, true);
    case "datepicker":
      return datepicker(elementObject, block, ctx, true);
    case "image":
      return image(elementObject);
    default:
      return el("span", "bk-unsupported", `[${elementObject?.type ?? "element"}]`);
  }
}

// ---------------------------------------------------------------------------------------------
// Blocks
// ---------------------------------------------------------------------------------------------

function header(block) {
  return el("div", "bk-header", plain(block.text));
}

function section(block, ctx) {
  const node = el("div", "bk-section");
  const body = el("div", "bk-section-body");
  if (block.text) {
    const text = el("div", "bk-text");
    text.append(renderText(block.text, ctx));
    body.append(text);
  }
  if (block.fields?.length) {
    const fields = el("div", "bk-fields");
    for (const field of block.fields) {
      const cell = el("div", "bk-field");
      cell.append(renderText(field, ctx));
      fields.append(cell);
    }
    body.append(fields);
  }
  node.append(body);
  if (block.accessory) {
    const accessory = el("div", "bk-accessory");
    accessory.append(element(block.accessory, block, ctx));
    node.append(accessory);
  }
  return node;
}

function context(block, ctx) {
  const node = el("div", "bk-context");
  for (const item of block.elements ?? []) {
    if (item.type === "image") {
      node.append(image(item));
    } else {
      const span = el("span", "bk-context-item");
      span.append(renderText(item, ctx));
      node.append(span);
    }
  }
  return node;
}

function actions(block, ctx) {
  const node = el("div", "bk-actions");
  for (const item of block.elements ?? []) node.append(element(item, block, ctx));
  return node;
}

function imageBlock(block, ctx) {
  const node = el("figure", "bk-image");
  if (block.title) node.append(el("figcaption", "", plain(block.title)));
  node.append(image(block));
  return node;
}

function inputControl(elementObject, block) {
  const kind = elementObject?.type;
  let control;
  if (kind === "plain_text_input") {
    control = el(elementObject.multiline ? "textarea" : "input", "bk-input");
    if (!elementObject.multiline) control.type = "text";
    control.value = elementObject.initial_value ?? "";
    control.placeholder = plain(elementObject.placeholder);
    if (elementObject.max_length) control.maxLength = elementObject.max_length;
    if (elementObject.min_length) control.minLength = elementObject.min_length;
  } else if (kind === "static_select") {
    control = staticSelect(elementObject, block, {}, false);
  } else if (kind === "datepicker") {
    control = datepicker(elementObject, block, {}, false);
  } else {
    return el("span", "bk-unsupported", `[${kind ?? "input"} input]`);
  }
  control.classList.add("bk-field-control");
  control.dataset.blockId = block.block_id ?? "";
  control.dataset.actionId = elementObject.action_id ?? "";
  control.dataset.kind = kind;
  control.dataset.optional = block.optional ? "true" : "false";
  return control;
}

function input(block, ctx) {
  const node = el("div", "bk-input-block");
  const id = `in-${block.block_id}`;
  const label = el("label", "bk-label", plain(block.label));
  if (block.optional) label.append(el("span", "bk-optional", " (optional)"));
  label.htmlFor = id;
  const control = inputControl(block.element, block);
  control.id = id;
  node.append(label, control);
  if (block.hint) node.append(el("div", "bk-hint", plain(block.hint)));
  const error = el("div", "bk-error");
  error.id = `${id}-error`;
  error.setAttribute("role", "alert");
  error.dataset.errorFor = block.block_id ?? "";
  const message = ctx.errors?.[block.block_id];
  if (message) {
    error.textContent = message;
    node.classList.add("has-error");
    control.setAttribute("aria-invalid", "true");
  }
  control.setAttribute("aria-describedby", error.id);
  node.append(error);
  return node;
}

const RENDERERS = {
  header,
  section,
  context,
  actions,
  image: imageBlock,
  input,
  divider: () => el("hr", "bk-divider"),
};

/** Blocks → one element; ctx: {users, channels, onAction(block, element, chosen, control), errors}. */
export function renderBlocks(blocks, ctx = {}) {
  const root = el("div", "bk-blocks");
  for (const block of blocks ?? []) {
    const render = RENDERERS[block?.type];
    const node = render
      ? render(block, ctx)
      : el("div", "bk-unsupported", `[${block?.type ?? "unknown"} block]`);
    node.classList.add("bk-block");
    if (block?.block_id) node.dataset.blockId = block.block_id;
    root.append(node);
  }
  return root;
}

/** The current value of each input in a rendered modal: {block_id: {action_id: value}}. */
export function collectValues(root) {
  const values = {};
  for (const control of root.querySelectorAll(".bk-field-control")) {
    const { blockId, actionId } = control.dataset;
    values[blockId] ??= {};
    values[blockId][actionId] = control.value === "" ? null : control.value;
  }
  return values;
}

/** Show (or clear) the bot's field errors under the inputs of a rendered modal. */
export function showErrors(root, errors) {
  for (const box of root.querySelectorAll(".bk-error")) {
    const message = errors?.[box.dataset.errorFor] ?? "";
    box.textContent = message;
    const block = box.closest(".bk-input-block");
    block?.classList.toggle("has-error", Boolean(message));
    block
      ?.querySelector(".bk-field-control")
      ?.setAttribute("aria-invalid", String(Boolean(message)));
  }
}

export { renderMrkdwn, plain };
