/*
 * The recurring-shortcomings view: the same problem raised again and again, each as
 * a timeline of the documents that raise it.
 */

import { LatestRequest, recurringUrl } from "./api.js";
import { citationLine } from "./citation.js";
import { $, clear, el, showError } from "./dom.js";
import { datetimeAttr, formatCount, formatDate, isString, shortText } from "./format.js";
import { EXCERPT_CHARS, renderPassage } from "./highlight.js";
import { docHash, emptyRecurring, emptySearch, recurringHash, searchHash, setHash } from "./router.js";
import { currentView, setListHash, setViewBusy, showSection } from "./shell.js";

const DEBOUNCE_MS = 250;

let debounce = null;
let current = emptyRecurring();
const request = new LatestRequest((busy) => setViewBusy("recurring-busy", busy));

function recurringKey(r) {
  return JSON.stringify([r.q.trim(), r.passage]);
}

/** Typing waits for a pause, as in the search box. */
export function init() {
  $("recurring-q").addEventListener("input", () => {
    clearTimeout(debounce);
    debounce = setTimeout(() => commit(false), DEBOUNCE_MS);
  });
  $("recurring-form").addEventListener("submit", (e) => {
    e.preventDefault();
    commit(true);
  });
}

export function searchBox() {
  return $("recurring-q");
}

/** Show the route's recurring shortcomings. Returns false when they are already on screen. */
export function show(route) {
  const r = route.recurring || emptyRecurring();
  const fresh = recurringKey(r) !== request.shownKey;
  showRecurring(r);
  return fresh;
}

/** Another view opens: the request in flight is dropped. */
export function leave() {
  // A search still waiting to be sent would bring this view back after the person left it.
  clearTimeout(debounce);
  request.abort();
}

/** The reader changed: the timelines are asked for again. */
export function reload() {
  request.forget();
  if (currentView() === "recurring") {
    showRecurring(current);
    return;
  }
  clear($("recurring-groups"));
  $("recurring-status").textContent = "";
}

function showRecurring(r) {
  current = r;
  setListHash("recurring", recurringHash(r));
  showSection("recurring");
  if ($("recurring-q").value !== r.q) $("recurring-q").value = r.q;
  const q = r.q.trim();
  const active = Boolean(q || r.passage);
  $("recurring-intro").hidden = active;
  document.title = (q ? `${q} — ` : "") + "Tồn tại lặp lại — vanban";
  if (!active) {
    request.abort();
    request.shownKey = null;
    clear($("recurring-groups"));
    $("recurring-status").textContent = "";
    $("recurring-error").hidden = true;
    return;
  }
  request.fetch(
    recurringKey(r),
    recurringUrl(r),
    (data) => renderRecurring(data, r),
    (err) => renderError(err)
  );
}

/** Read the box; push a history entry (submitted) or replace it (typing). */
function commit(push) {
  clearTimeout(debounce);
  const r = { q: $("recurring-q").value, passage: null };
  if (setHash(recurringHash(r), push)) return; // the router shows it
  showRecurring(r);
}

function renderError(err) {
  showError($("recurring-error"), err, "Không tải được dữ liệu.");
  $("recurring-status").textContent = "";
  clear($("recurring-groups"));
}

/** "28/6/2023", "24/9/2024 (ngày họp)" for a document placed by its meeting date. */
function whenText(date, kind) {
  return formatDate(date) + (kind === "event" ? " (ngày họp)" : "");
}

function renderRecurring(data, r) {
  $("recurring-error").hidden = true;
  const groups = Array.isArray(data.groups)
    ? data.groups.filter((g) => g && Array.isArray(g.occurrences) && g.occurrences.length)
    : [];
  const q = r.q.trim();
  const what = q ? `liên quan đến “${q}”` : "giống đoạn đã chọn";
  $("recurring-status").textContent = groups.length
    ? `${formatCount(groups.length)} tồn tại, hạn chế được nêu lặp lại, ${what}.`
    : `Không thấy tồn tại, hạn chế nào được nêu lặp lại, ${what}.`;
  const box = clear($("recurring-groups"));
  if (!groups.length) {
    const tip = "Thử cách diễn đạt khác, ít từ hơn, hoặc chữ viết tắt (GPMB).";
    const tips = el("div", { class: "empty" }, el("p", null, tip));
    if (q) {
      const all = searchHash(Object.assign(emptySearch(), { q, kind: "shortcoming" }));
      tips.appendChild(el("p", null, el("a", { href: all }, "Tìm “" + q + "” trong mọi tồn tại, hạn chế")));
    }
    box.appendChild(tips);
    return;
  }
  groups.forEach((g, i) => box.appendChild(renderGroup(g, i)));
}

function renderGroup(g, i) {
  const occ = g.occurrences.filter((o) => o && typeof o === "object");
  const docs = Number.isFinite(g.documents) ? g.documents : new Set(occ.map((o) => o.doc_id)).size;
  const section = el("section", { class: "recur-group", "aria-labelledby": `nhom-${i}` });
  const label = isString(g.label) ? g.label : "Tồn tại, hạn chế";
  section.appendChild(el("h3", { class: "recur-label", id: `nhom-${i}` }, label));

  const dated = occ.filter((o) => isString(o.date));
  const firstDate = isString(g.first_date) ? g.first_date : dated.length ? dated[0].date : null;
  const firstOcc = dated.find((o) => o.date === firstDate);
  const last = dated.length ? dated[dated.length - 1] : null;
  let meta = `Nêu trong ${formatCount(docs)} văn bản`;
  if (firstDate) meta += `, từ ${whenText(firstDate, firstOcc && firstOcc.date_kind)}`;
  if (firstDate && last && last.date !== firstDate) meta += ` đến ${whenText(last.date, last.date_kind)}`;
  section.appendChild(el("p", { class: "recur-meta" }, meta));

  const list = el("ol", { class: "timeline", "aria-label": `Các lần nêu, theo thời gian` });
  for (const o of occ) list.appendChild(renderOccurrence(o));
  section.appendChild(list);
  return section;
}

function renderOccurrence(o) {
  const c = o.citation || {};
  const docId = String(o.doc_id || "");
  const text = typeof o.text === "string" ? o.text : "";
  const sentence = isString(o.passage) ? o.passage : "";
  const span = Array.isArray(c.char_span) && c.char_span.length === 2 ? c.char_span : null;
  // The sentence inside its passage, so that the link marks just that sentence in the
  // document (when the passage is exactly the cited span of the document text).
  const at = sentence && text ? text.indexOf(sentence) : -1;
  const exact = span && at >= 0 && span[1] - span[0] === text.length;
  const target = exact ? [span[0] + at, span[0] + at + sentence.length] : span;
  const chunkId = Number.isInteger(o.chunk_id) ? o.chunk_id : null;

  const item = el("li", { class: "tl-item" });
  const date = el("p", { class: "tl-date" });
  if (isString(o.date)) {
    date.appendChild(el("time", { datetime: datetimeAttr(o.date) }, formatDate(o.date)));
    if (o.date_kind === "event") date.appendChild(el("span", { class: "tl-date-kind" }, " (ngày họp)"));
  } else {
    date.appendChild(el("span", { class: "tl-date-kind" }, "Không rõ ngày"));
  }
  item.appendChild(date);
  item.appendChild(
    el(
      "p",
      { class: "tl-source" },
      // The date is on the line above: the citation goes without it.
      el(
        "a",
        { href: docHash(docId, target, chunkId), class: "doc-link tl-link", "data-doc": docId },
        citationLine(c, docId, { date: false })
      )
    )
  );
  const quote = el("blockquote", { class: "tl-passage", lang: "vi" }, sentence || shortText(text, EXCERPT_CHARS));
  item.appendChild(quote);
  if (text && text.replace(/\s+/g, " ").trim() !== sentence.replace(/\s+/g, " ").trim()) {
    const marks = at >= 0 ? [[at, at + sentence.length]] : [];
    const toggle = el("button", { type: "button", class: "linkish", "aria-expanded": "false" }, "Hiện cả đoạn");
    toggle.addEventListener("click", () => {
      const open = toggle.getAttribute("aria-expanded") !== "true";
      if (open) renderPassage(quote, text, marks, true);
      else clear(quote).appendChild(document.createTextNode(sentence || shortText(text, EXCERPT_CHARS)));
      quote.classList.toggle("tl-passage-full", open);
      toggle.setAttribute("aria-expanded", open ? "true" : "false");
      toggle.textContent = open ? "Thu gọn" : "Hiện cả đoạn";
    });
    item.appendChild(el("p", { class: "tl-actions" }, toggle));
  }
  return item;
}
