// The page's one piece of mutable state: what the server last sent, and what the person is doing
// (the conversation shown, the open thread and modal, busy controls, command history). Every
// other module reads and writes this object; none keeps mutable state of its own.

const HISTORY_KEY = "purchases-playground-history";

export const state = {
  users: {},
  me: "",
  info: {},
  conversations: new Map(),
  messages: new Map(),
  modals: [],
  home: null, // the Home view the app last published for you
  onHome: false, // the Home tab is what the middle pane shows
  current: null,
  thread: null, // {channel, ts}
  author: "you",
  history: loadHistory(),
  historyIndex: null,
  unread: new Map(),
  dismissed: new Set(),
  events: 0,
  refocus: null, // {node, actionId}: where the keyboard goes when a clicked message is redrawn
  busy: new Set(), // controls waiting for the bot: {control, acked, seen, timer}
  shownModal: null, // {id, json, form, returnFocus}
  toastTimer: null,
};

function loadHistory() {
  try {
    const stored = JSON.parse(localStorage.getItem(HISTORY_KEY) ?? "[]");
    return Array.isArray(stored) ? stored.filter((x) => typeof x === "string").slice(-50) : [];
  } catch {
    return [];
  }
}

/** Add a command to the history (↑ in the composer), kept across reloads where storage allows. */
export function remember(command) {
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
