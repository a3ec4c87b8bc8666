/*
 * Building the page: every string, whatever its source, becomes a text node,
 * never HTML.
 */

export function $(id) {
  return document.getElementById(id);
}

/** Create an element; string children become text nodes (never HTML). */
export function el(tag, attrs, ...children) {
  const node = document.createElement(tag);
  if (attrs) {
    for (const [name, value] of Object.entries(attrs)) {
      if (value === null || value === undefined || value === false) continue;
      if (name === "class") node.className = value;
      else if (name === "text") node.textContent = value;
      else if (name.startsWith("on") && typeof value === "function") node.addEventListener(name.slice(2), value);
      else node.setAttribute(name, value === true ? "" : String(value));
    }
  }
  append(node, children);
  return node;
}

function append(node, children) {
  for (const child of children) {
    if (child === null || child === undefined || child === false) continue;
    if (Array.isArray(child)) append(node, child);
    else if (child instanceof Node) node.appendChild(child);
    else node.appendChild(document.createTextNode(String(child)));
  }
  return node;
}

export function clear(node) {
  while (node.firstChild) node.removeChild(node.firstChild);
  return node;
}

/** An error box: "Lỗi: " and the message (the API's own, in Vietnamese), shown. */
export function showError(box, err, fallback) {
  clear(box);
  box.appendChild(el("strong", null, "Lỗi: "));
  box.appendChild(document.createTextNode(err && err.message ? err.message : fallback));
  box.hidden = false;
  return box;
}

/** True for the fields where "/" and Escape are typing, not shortcuts. */
export function isEditable(target) {
  if (!target || !(target instanceof Element)) return false;
  return target.isContentEditable || /^(input|textarea|select)$/i.test(target.tagName);
}
