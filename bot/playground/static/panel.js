// The data panel in the sidebar and the header's data badge: the sandbox's demo members and
// failure demos (a click fills the composer), or the warning that this is live CrowdTwist.

import { fillComposer } from "./composer.js";
import { $, el } from "./dom.js";
import { state } from "./state.js";

function tryButton(label, command, title) {
  const button = el("button", "try", label);
  button.type = "button";
  button.title = title ?? `Fill the composer with: ${command}`;
  button.dataset.command = command;
  button.addEventListener("click", () => fillComposer(command, "you"));
  return button;
}

export function renderInfo() {
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
