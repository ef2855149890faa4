// DOM helpers shared by every module of the page: the one element builder and a query shortcut.

/** The first element under root (the document unless given) matching a CSS selector. */
export const $ = (selector, root = document) => root.querySelector(selector);

/** A new element with an optional class name and text (text, never HTML). */
export function el(tag, className, text) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined) node.textContent = text;
  return node;
}
