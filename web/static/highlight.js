/*
 * Passages with their matches marked: the text goes in as text nodes, the
 * matches as <mark> elements around text nodes.
 */

import { clear, el } from "./dom.js";

export const EXCERPT_CHARS = 600; // longer passages are shown as an excerpt around the first match

/** Sorted, clipped, non-overlapping [start, end] spans. */
export function cleanSpans(spans, length) {
  if (!Array.isArray(spans)) return [];
  const out = [];
  const sorted = spans
    .filter((s) => Array.isArray(s) && s.length >= 2 && Number.isFinite(s[0]) && Number.isFinite(s[1]))
    .map((s) => [Math.max(0, s[0]), Math.min(length, s[1])])
    .filter((s) => s[1] > s[0])
    .sort((a, b) => a[0] - b[0] || a[1] - b[1]);
  for (const s of sorted) {
    const last = out[out.length - 1];
    if (last && s[0] < last[1]) last[1] = Math.max(last[1], s[1]);
    else out.push(s);
  }
  return out;
}

/** Append text[from:to] to node, wrapping the spans in <mark>. */
export function appendMarked(node, text, spans, from, to, markClass, transform) {
  const piece = transform || ((x) => x);
  let pos = from;
  for (const [s, e] of spans) {
    if (e <= pos || s >= to) continue;
    const a = Math.max(s, pos);
    const b = Math.min(e, to);
    if (a > pos) node.appendChild(document.createTextNode(piece(text.slice(pos, a))));
    node.appendChild(el("mark", markClass ? { class: markClass } : null, piece(text.slice(a, b))));
    pos = b;
  }
  if (pos < to) node.appendChild(document.createTextNode(piece(text.slice(pos, to))));
  return node;
}

/** Passages keep their line breaks, but blank lines between paragraphs collapse to one break. */
function squeezeLines(s) {
  return s.replace(/[ \t]*\n(?:[ \t]*\n)+/g, "\n");
}

/** The window of a long passage to show: about chars around the first match, cut at spaces. */
function excerptWindow(text, spans, chars) {
  if (text.length <= chars + chars / 6) return [0, text.length];
  const anchor = spans.length ? spans[0][0] : 0;
  let start = Math.max(0, anchor - Math.floor(chars / 4));
  if (start > 0) {
    const space = text.indexOf(" ", start);
    start = space >= 0 && space < anchor ? space + 1 : start;
  }
  let end = Math.min(text.length, start + chars);
  if (end < text.length) {
    const space = text.lastIndexOf(" ", end);
    end = space > start + chars / 2 ? space : end;
  }
  return [start, end];
}

/** Fill container with the passage (an excerpt of about chars unless full); true when something
 * was left out. */
export function renderPassage(container, text, spans, full, chars = EXCERPT_CHARS) {
  clear(container);
  const [start, end] = full ? [0, text.length] : excerptWindow(text, spans, chars);
  if (start > 0) container.appendChild(document.createTextNode("… "));
  appendMarked(container, text, spans, start, end, null, squeezeLines);
  if (end < text.length) container.appendChild(document.createTextNode(" …"));
  return start > 0 || end < text.length;
}
