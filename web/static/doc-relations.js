/*
 * A document's "Văn bản liên quan": the documents it amends, replaces, cites…
 * (outgoing, each linked when the archive holds it), those that amend, replace, cite
 * it (incoming, each opened where it says so), and its status as badges at the top
 * of the document view. Data: /api/documents/{id}/relations.
 */

import { el } from "./dom.js";
import { formatDate, isString, shortText } from "./format.js";
import { incomingLabel, outgoingLabel, relationRank, statusBadges } from "./relations.js";
import { docHash } from "./router.js";

const SHOWN = 5; // links per relation before "Xem thêm"
const TEXT_CHARS = 220; // a reference as written, cut beyond this

function isSpan(span) {
  return Array.isArray(span) && span.length === 2 && Number.isInteger(span[0]) && span[1] > span[0];
}

/** Links of one direction as [[relation, links]], in the order of RELATIONS; a document
 * that names the same one twice (in its preamble and its articles) lists it once. */
function byRelation(links, key) {
  const groups = new Map();
  const seen = new Set();
  for (const link of Array.isArray(links) ? links : []) {
    if (!link || typeof link !== "object" || !isString(link.relation)) continue;
    const id = `${link.relation}\u0000${key(link)}`;
    if (seen.has(id)) continue;
    seen.add(id);
    if (!groups.has(link.relation)) groups.set(link.relation, []);
    groups.get(link.relation).push(link);
  }
  return [...groups.entries()].sort((a, b) => relationRank(a[0]) - relationRank(b[0]));
}

/** "Văn bản này sửa đổi, bổ sung": a reference as written, linked to the document when the
 * archive holds it, said so when not; and where this document says it. */
function outgoingItem(link, docId) {
  const text = shortText(isString(link.text) ? link.text : link.number || "", TEXT_CHARS);
  const item = el("li", { class: "rel-item", "data-relation": link.relation });
  if (isString(link.target)) {
    item.appendChild(el("a", { href: docHash(link.target), class: "rel-link", "data-doc": link.target }, text));
  } else {
    item.appendChild(el("span", { class: "rel-text" }, text));
    item.appendChild(document.createTextNode(" "));
    item.appendChild(el("span", { class: "badge badge-missing" }, "chưa có trong kho"));
  }
  if (isSpan(link.char_span)) {
    item.appendChild(document.createTextNode(" "));
    item.appendChild(el("a", { href: docHash(docId, link.char_span), class: "rel-where" }, "(chỗ dẫn)"));
  }
  return item;
}

/** "Được sửa đổi, bổ sung bởi": the citing document (its number and date, as the API
 * gives them), opened where it cites this one, and what it says there. */
function incomingItem(link) {
  const source = String(link.source || "");
  let label = source;
  if (isString(link.source_number)) {
    const date = isString(link.source_date) ? ` ngày ${formatDate(link.source_date)}` : "";
    label = `Văn bản số ${link.source_number}${date}`;
  }
  const href = docHash(source, isSpan(link.char_span) ? link.char_span : null);
  const item = el("li", { class: "rel-item", "data-relation": link.relation });
  item.appendChild(el("a", { href, class: "rel-link", "data-doc": source }, label));
  if (isString(link.text)) {
    item.appendChild(el("span", { class: "rel-quote" }, ` — “${shortText(link.text, TEXT_CHARS)}”`));
  }
  return item;
}

function group(direction, relation, title, items) {
  const box = el("div", { class: "rel-group", "data-direction": direction, "data-relation": relation });
  box.appendChild(el("h4", { class: "rel-title" }, title));
  const list = el("ul", { class: "rel-list" });
  items.forEach((item, i) => {
    if (i >= SHOWN) item.hidden = true;
    list.appendChild(item);
  });
  box.appendChild(list);
  const extra = items.length - SHOWN;
  if (extra > 0) {
    const more = el(
      "button",
      { type: "button", class: "linkish rel-more", "aria-expanded": "false" },
      `Xem thêm ${extra}`
    );
    more.addEventListener("click", () => {
      const open = more.getAttribute("aria-expanded") !== "true";
      items.forEach((item, i) => {
        if (i >= SHOWN) item.hidden = !open;
      });
      more.setAttribute("aria-expanded", open ? "true" : "false");
      more.textContent = open ? "Thu gọn" : `Xem thêm ${extra}`;
    });
    box.appendChild(more);
  }
  return box;
}

/** Fill statusBox with the status badges (newest first) and body with the links. */
export function renderRelations(data, docId, statusBox, body) {
  const d = data && typeof data === "object" ? data : {};
  const badges = statusBadges(d.status);
  for (const badge of badges) statusBox.appendChild(badge);
  statusBox.hidden = badges.length === 0;

  const outgoing = byRelation(d.outgoing, (l) => l.target || l.number || l.text);
  const incoming = byRelation(d.incoming, (l) => l.source);
  if (!outgoing.length && !incoming.length) {
    body.appendChild(el("p", { class: "hint rel-empty" }, "Chưa ghi nhận văn bản liên quan trong kho."));
    return;
  }
  for (const [relation, links] of outgoing) {
    const items = links.map((l) => outgoingItem(l, docId));
    body.appendChild(group("out", relation, outgoingLabel(relation), items));
  }
  for (const [relation, links] of incoming) {
    const items = links.map((l) => incomingItem(l));
    body.appendChild(group("in", relation, incomingLabel(relation), items));
  }
}
