// Slack's mrkdwn and plain_text, rendered into DOM nodes (never into HTML strings, so nothing
// an app or a member id contains can inject markup).
//
// Supported: *bold* _italic_ ~strike~ `code` ```pre```, > quotes, <url|label>,
// <mailto:…|…>, <tel:…|…>, <@U…>, <#C…|name>, <!here>, <!subteam^…|@name>,
// <!date^EPOCH^FORMAT[^link]|fallback> (in the browser's own time zone), :emoji: shortcodes,
// and Slack's escaping (&amp; &lt; &gt;).

import { el } from "./dom.js";

export const EMOJI = {
  warning: "⚠️",
  hourglass_flowing_sand: "⏳",
  hourglass: "⌛",
  no_entry_sign: "🚫",
  no_entry: "⛔",
  mag: "🔍",
  mag_right: "🔎",
  x: "❌",
  white_check_mark: "✅",
  busts_in_silhouette: "👥",
  heavy_check_mark: "✔️",
  lock: "🔒",
  unlock: "🔓",
  inbox_tray: "📥",
  outbox_tray: "📤",
  page_facing_up: "📄",
  calendar: "📆",
  date: "📅",
  information_source: "ℹ️",
  bulb: "💡",
  point_right: "👉",
  wave: "👋",
  tada: "🎉",
  shopping_bags: "🛍️",
  receipt: "🧾",
  raising_hand: "🙋",
  grey_question: "❔",
  frame_with_picture: "🖼️",
  moneybag: "💰",
  star: "⭐",
  sparkles: "✨",
  rotating_light: "🚨",
  red_circle: "🔴",
  large_green_circle: "🟢",
  arrow_right: "➡️",
  arrow_left: "⬅️",
  thumbsup: "👍",
  "+1": "👍",
  eyes: "👀",
  robot_face: "🤖",
  gear: "⚙️",
  hammer_and_wrench: "🛠️",
  question: "❓",
  exclamation: "❗",
  heavy_plus_sign: "➕",
  heavy_minus_sign: "➖",
  clock3: "🕒",
  email: "📧",
  envelope: "✉️",
  phone: "☎️",
  iphone: "📱",
  package: "📦",
  credit_card: "💳",
};

const ENTITIES = { "&amp;": "&", "&lt;": "<", "&gt;": ">" };

/** Slack's three entities back to characters. */
export function unescapeEntities(text) {
  return text.replace(/&(amp|lt|gt);/g, (m) => ENTITIES[m]);
}

/** :shortcode: → Unicode for the ones we know; unknown ones stay as typed. */
export function emojify(text) {
  return text.replace(/:([a-z0-9_+\-]+):/g, (m, name) => EMOJI[name] ?? m);
}

// ---------------------------------------------------------------------------------------------
// Dates: <!date^1700000000^{date_short_pretty} at {time}|fallback>
// ---------------------------------------------------------------------------------------------

const FORMATS = {
  date_num: { year: "numeric", month: "2-digit", day: "2-digit" },
  date: { year: "numeric", month: "long", day: "numeric" },
  date_short: { year: "numeric", month: "short", day: "numeric" },
  date_long: { weekday: "long", year: "numeric", month: "long", day: "numeric" },
  time: { hour: "numeric", minute: "2-digit" },
  time_secs: { hour: "numeric", minute: "2-digit", second: "2-digit" },
};

function dayNumber(date) {
  return Math.round(
    new Date(date.getFullYear(), date.getMonth(), date.getDate()).getTime() / 86400000,
  );
}

function isoDay(date) {
  const pad = (n) => String(n).padStart(2, "0");
  return `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())}`;
}

function ago(date, now) {
  const seconds = Math.round((date.getTime() - now.getTime()) / 1000);
  const units = [
    ["year", 31536000],
    ["month", 2592000],
    ["week", 604800],
    ["day", 86400],
    ["hour", 3600],
    ["minute", 60],
    ["second", 1],
  ];
  const rtf = new Intl.RelativeTimeFormat(undefined, { numeric: "auto" });
  for (const [unit, size] of units) {
    if (Math.abs(seconds) >= size || unit === "second") {
      return rtf.format(Math.round(seconds / size), unit);
    }
  }
  return "";
}

/** One {token} of Slack's date formatting, in the browser's time zone. */
function dateToken(token, date, now) {
  if (token === "date_num") return isoDay(date);
  if (token === "ago") return ago(date, now);
  const pretty = token.match(/^(date|date_short|date_long)_pretty$/);
  if (pretty) {
    const diff = dayNumber(date) - dayNumber(now);
    const words = { "-1": "yesterday", 0: "today", 1: "tomorrow" };
    if (String(diff) in words) return words[String(diff)];
    token = pretty[1];
  }
  const options = FORMATS[token];
  if (!options) return null;
  return new Intl.DateTimeFormat(undefined, options).format(date);
}

/** Slack's date format string for an epoch; null when the epoch or a token is not valid. */
export function formatDate(epoch, format, now = new Date()) {
  const seconds = Number(epoch);
  if (!Number.isFinite(seconds)) return null;
  const date = new Date(seconds * 1000);
  if (Number.isNaN(date.getTime())) return null;
  let failed = false;
  const text = format.replace(/\{([a-z_]+)\}/g, (m, token) => {
    const value = dateToken(token, date, now);
    if (value === null) failed = true;
    return value ?? m;
  });
  if (failed) return null;
  return text.charAt(0).toUpperCase() + text.slice(1);
}

function dateNode(target, label) {
  const [, epoch, format = "{date_short} {time}", link] = target.split("^");
  const shown = formatDate(epoch, unescapeEntities(format));
  const node = el(link ? "a" : "time", "mk-date", shown ?? unescapeEntities(label ?? ""));
  const seconds = Number(epoch);
  if (Number.isFinite(seconds)) {
    const date = new Date(seconds * 1000);
    if (!Number.isNaN(date.getTime())) {
      node.title = new Intl.DateTimeFormat(undefined, {
        dateStyle: "full",
        timeStyle: "long",
      }).format(date);
      if (!link) node.dateTime = date.toISOString();
    }
  }
  if (link) setLink(node, unescapeEntities(link));
  return node;
}

// ---------------------------------------------------------------------------------------------
// <…> tokens
// ---------------------------------------------------------------------------------------------

const SAFE_LINK = /^(https?:|mailto:|tel:)/i;

function setLink(anchor, href) {
  if (!SAFE_LINK.test(href)) return;
  anchor.href = href;
  if (/^https?:/i.test(href)) {
    anchor.target = "_blank";
    anchor.rel = "noopener noreferrer";
  }
}

function tokenNode(inner, ctx) {
  const bar = inner.indexOf("|");
  const target = bar >= 0 ? inner.slice(0, bar) : inner;
  const label = bar >= 0 ? inner.slice(bar + 1) : null;
  if (target.startsWith("!date^")) return dateNode(target, label);
  if (target.startsWith("@")) {
    const id = target.slice(1);
    const user = ctx.users?.[id];
    return el("span", "mk-mention", "@" + (label ?? user?.name ?? id));
  }
  if (target.startsWith("#")) {
    const id = target.slice(1);
    const channel = ctx.channels?.[id];
    return el("span", "mk-mention", "#" + unescapeEntities(label ?? channel?.name ?? id));
  }
  if (target.startsWith("!")) {
    const name = target.slice(1).split("^")[0];
    return el("span", "mk-mention", unescapeEntities(label ?? "@" + name));
  }
  const href = unescapeEntities(target);
  if (SAFE_LINK.test(href)) {
    const anchor = el(
      "a",
      "mk-link",
      unescapeEntities(label ?? href.replace(/^(mailto|tel):/i, "")),
    );
    setLink(anchor, href);
    return anchor;
  }
  return document.createTextNode(unescapeEntities(label ?? target));
}

// ---------------------------------------------------------------------------------------------
// Inline formatting
// ---------------------------------------------------------------------------------------------

const WORD = /[\p{L}\p{N}]/u;
const SPACE = /\s/;
const STYLES = { "*": "strong", _: "em", "~": "s" };

function canOpen(src, i) {
  const before = i > 0 ? src[i - 1] : "";
  const after = src[i + 1];
  return (
    (!before || !WORD.test(before)) && after !== undefined && !SPACE.test(after) && after !== src[i]
  );
}

function findClose(src, i) {
  const mark = src[i];
  for (let j = i + 2; j < src.length; j++) {
    const c = src[j];
    if (c === "\n") return -1;
    if (c === "`" || c === "<") {
      const end = src.indexOf(c === "`" ? "`" : ">", j + 1);
      if (end > j) {
        j = end;
        continue;
      }
    }
    if (c === mark && !SPACE.test(src[j - 1]) && (j + 1 === src.length || !WORD.test(src[j + 1]))) {
      return j;
    }
  }
  return -1;
}

function appendText(parent, text, emoji = true) {
  if (!text) return;
  const plain = unescapeEntities(text);
  parent.append(document.createTextNode(emoji ? emojify(plain) : plain));
}

function parseInline(src, ctx, parent) {
  let buffer = "";
  const flush = () => {
    appendText(parent, buffer);
    buffer = "";
  };
  for (let i = 0; i < src.length;) {
    const c = src[i];
    if (c === "`") {
      const end = src.indexOf("`", i + 1);
      if (end > i + 1) {
        flush();
        parent.append(el("code", "mk-code", unescapeEntities(src.slice(i + 1, end))));
        i = end + 1;
        continue;
      }
    }
    if (c === "<") {
      const end = src.indexOf(">", i + 1);
      const inner = end > i + 1 ? src.slice(i + 1, end) : "";
      if (inner && !inner.includes("<") && !inner.includes("\n")) {
        flush();
        parent.append(tokenNode(inner, ctx));
        i = end + 1;
        continue;
      }
    }
    if (c in STYLES && canOpen(src, i)) {
      const end = findClose(src, i);
      if (end > 0) {
        flush();
        const node = el(STYLES[c]);
        parseInline(src.slice(i + 1, end), ctx, node);
        parent.append(node);
        i = end + 1;
        continue;
      }
    }
    buffer += c;
    i += 1;
  }
  flush();
}

function renderLines(text, ctx, parent) {
  const lines = text.split("\n");
  for (let i = 0; i < lines.length;) {
    if (/^(&gt;|>) ?/.test(lines[i])) {
      const quote = el("blockquote", "mk-quote");
      const quoted = [];
      while (i < lines.length && /^(&gt;|>) ?/.test(lines[i])) {
        quoted.push(lines[i].replace(/^(&gt;|>) ?/, ""));
        i += 1;
      }
      parseInline(quoted.join("\n"), ctx, quote);
      parent.append(quote);
      if (i < lines.length) parent.append(document.createTextNode("\n"));
      continue;
    }
    parseInline(lines[i], ctx, parent);
    if (i < lines.length - 1) parent.append(document.createTextNode("\n"));
    i += 1;
  }
}

/** mrkdwn → a fragment of DOM nodes. ctx: {users: {id: {name}}, channels: {id: {name}}}. */
export function renderMrkdwn(text, ctx = {}) {
  const fragment = document.createDocumentFragment();
  const source = String(text ?? "");
  const fence = /```([\s\S]*?)```/g;
  let last = 0;
  for (const match of source.matchAll(fence)) {
    renderLines(source.slice(last, match.index), ctx, fragment);
    fragment.append(el("pre", "mk-pre", unescapeEntities(match[1].replace(/^\n/, ""))));
    last = match.index + match[0].length;
  }
  renderLines(source.slice(last), ctx, fragment);
  return fragment;
}

/** A text object (plain_text or mrkdwn) → DOM nodes. */
export function renderText(textObject, ctx = {}) {
  if (!textObject) return document.createDocumentFragment();
  if (textObject.type === "mrkdwn") return renderMrkdwn(textObject.text, ctx);
  const plain = String(textObject.text ?? "");
  return document.createTextNode(textObject.emoji === false ? plain : emojify(plain));
}
