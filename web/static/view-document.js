/*
 * The document view: metadata, its status (amended, replaced… by a later document),
 * the documents it is linked with, table of contents, the full text (as text nodes)
 * with the cited passage marked and brought into view, and the way back to the list.
 */

import { documentUrl, fileUrl, getJson, isPdf, relationsUrl } from "./api.js";
import { docLabel } from "./citation.js";
import { renderRelations } from "./doc-relations.js";
import { $, clear, el, showError } from "./dom.js";
import { formatDate, isString, shortHeading } from "./format.js";
import { appendMarked } from "./highlight.js";
import { HOME_HASH } from "./router.js";
import { currentView, isListView, listHash, showSection } from "./shell.js";
import { similarToggle } from "./similar.js";

const BACK_LABELS = {
  search: "← Quay lại kết quả",
  tasks: "← Quay lại danh sách nhiệm vụ",
  recurring: "← Quay lại tồn tại lặp lại",
};

// What renderDocument fills in: emptied when the reader changes.
const RENDERED = [
  "doc-kind", "doc-title", "doc-status", "doc-meta", "doc-actions", "doc-relations-body", "toc-nav", "doc-text",
];

const HEADING_KINDS = new Set([
  "part", "chapter", "division", "roman", "article", "numbered", "letter", "unit", "heading",
]);

// Where the open document was reached from: the list view, its hash, and how many
// history entries back it is (0: opened directly, so the back link sets the hash).
let origin = { view: "search", hash: HOME_HASH, depth: 0 };
let seq = 0; // the document asked for last; an earlier one that loads late is not shown
let shownRoute = null; // the route of the document view, for reload
const cache = new Map(); // doc_id -> promise of the document
const relationsCache = new Map(); // doc_id -> promise of its relations

export function init() {
  $("back-link").addEventListener("click", (e) => {
    if (e.button !== 0 || e.ctrlKey || e.metaKey || e.shiftKey) return;
    e.preventDefault();
    back();
  });
}

/** Open a document, remembering (in the history entry itself, so that back and forward
 * keep it) which list it was reached from and how many entries back that list is. */
export function show(route, previous) {
  const saved = history.state && history.state.vanbanOrigin;
  if (saved && typeof saved.hash === "string" && Number.isInteger(saved.depth)) {
    origin = saved;
  } else {
    if (isListView(previous)) {
      origin = { view: previous, hash: listHash(previous), depth: 1 };
    } else if (previous === "doc") {
      origin = Object.assign({}, origin, { depth: origin.depth > 0 ? origin.depth + 1 : 0 });
    } else {
      origin = { view: "search", hash: listHash("search"), depth: 0 };
    }
    try {
      history.replaceState(Object.assign({}, history.state, { vanbanOrigin: origin }), "");
    } catch (e) {
      // a browser that refuses: the back link then sets the hash instead
    }
  }
  openDocument(route);
}

/** Nothing of this view runs in the background. */
export function leave() {}

/** The reader changed: nothing kept is shown again, and the open document is asked for
 * again (it may now be one they may not read, or one they may). */
export function reload() {
  cache.clear();
  relationsCache.clear();
  seq += 1;
  for (const id of RENDERED) clear($(id));
  $("doc-content").hidden = true;
  if (currentView() === "doc" && shownRoute) openDocument(shownRoute);
}

/** Escape, the back link: to the list the document was opened from. */
export function back() {
  if (origin.depth > 0) history.go(-origin.depth);
  else location.hash = origin.hash;
}

/** One request per document and URL kind, kept; a failed one is asked again next time. */
function cached(store, docId, url) {
  if (!store.has(docId)) {
    const promise = getJson(url);
    promise.catch(() => {
      if (store.get(docId) === promise) store.delete(docId); // not a newer request, asked since
    });
    store.set(docId, promise);
  }
  return store.get(docId);
}

function loadDocument(docId) {
  return cached(cache, docId, documentUrl(docId));
}

function openDocument(route) {
  shownRoute = route;
  showSection("doc");
  $("doc-error").hidden = true;
  $("doc-content").hidden = true;
  $("doc-loading").hidden = false;
  const from = origin.view === "home" ? "search" : origin.view;
  $("back-link").setAttribute("href", origin.hash);
  $("back-link").textContent = BACK_LABELS[from] || BACK_LABELS.search;
  const mine = ++seq;
  // Asked at once, beside the document; shown once the document is (its section is in it).
  const relations = cached(relationsCache, route.docId, relationsUrl(route.docId));
  relations.catch(() => {}); // a failure is shown by showRelations
  loadDocument(route.docId)
    .then((doc) => {
      if (mine !== seq || currentView() !== "doc") return;
      $("doc-loading").hidden = true;
      renderDocument(doc, route);
      showRelations(relations, String(doc.doc_id || route.docId), mine);
    })
    .catch((err) => {
      if (mine !== seq) return;
      $("doc-loading").hidden = true;
      showError($("doc-error"), err, "Không mở được văn bản.");
      document.title = "Lỗi — vanban";
      $("back-link").focus();
    });
}

function renderDocument(doc, route) {
  const meta = doc.metadata || {};
  const docId = String(doc.doc_id || route.docId);
  const text = typeof doc.text === "string" ? doc.text : "";
  const asked = route.span;
  const span =
    asked && asked[1] > asked[0] && asked[0] < text.length ? [asked[0], Math.min(asked[1], text.length)] : null;
  const pdf = isPdf(docId, doc.format);
  const pageTable = Array.isArray(doc.pages) ? doc.pages.filter((p) => Array.isArray(p) && p.length >= 3) : [];
  const citedPage = span ? pageAt(pageTable, span[0]) : null;

  const label = docLabel(meta, docId);
  document.title = `${label} — vanban`;
  $("doc-kind").textContent = isString(meta.issuer) ? meta.issuer : "";
  $("doc-title").textContent = label + (isString(meta.issued_date) ? ` ngày ${formatDate(meta.issued_date)}` : "");

  // Metadata
  const dl = clear($("doc-meta"));
  const signer = [meta.signer_title, meta.signer_name].filter(isString).join(" ");
  const rows = [
    ["Số, ký hiệu", meta.number],
    ["Loại văn bản", meta.doc_type],
    ["Cơ quan ban hành", meta.issuer],
    ["Ngày ban hành", formatDate(meta.issued_date)],
    ["Ngày họp, sự kiện", isString(meta.issued_date) ? null : formatDate(meta.event_date)],
    ["Trích yếu", meta.subject || doc.title],
    ["Người ký", signer || null],
    ["Nơi nhận", Array.isArray(meta.recipients) ? meta.recipients.filter(isString).join("; ") : null],
  ];
  for (const [name, value] of rows) {
    if (!isString(value)) continue;
    dl.appendChild(el("div", { class: "meta-row" }, el("dt", null, name), el("dd", null, value)));
  }

  // Actions: original file (at the cited page for a PDF), back to the cited passage
  const actions = clear($("doc-actions"));
  actions.appendChild(
    el(
      "a",
      { href: fileUrl(docId, citedPage, pdf), class: "button-link", target: "_blank", rel: "noopener" },
      "Tệp gốc",
      pdf && citedPage ? ` (trang ${citedPage})` : isString(doc.format) ? ` (${doc.format.toUpperCase()})` : null
    )
  );
  if (span) {
    actions.appendChild(
      el("button", { type: "button", class: "button-link", onclick: () => focusCited(true) }, "Đến đoạn được trích")
    );
  }

  // Full text and table of contents
  const sections = flattenSections(doc.sections);
  const target = clear($("doc-text"));
  const anchors = renderText(target, text, sections, span, pageTable, doc.body_span);
  renderToc(sections, anchors, span);
  const citedBlock = $("cited-block");
  if (citedBlock && Number.isInteger(route.chunkId)) {
    // "More like this" for the cited passage, right under it.
    const panel = el("div", { class: "similar", id: `van-ban-tuong-tu-${route.chunkId}`, hidden: true });
    const toggle = similarToggle(route.chunkId, panel, "Đoạn tương tự");
    citedBlock.appendChild(el("div", { class: "cited-tools" }, el("p", null, toggle), panel));
  }

  $("doc-content").hidden = false;
  scrollTocToCurrent();
  if (!focusCited(false)) {
    window.scrollTo(0, 0);
    $("doc-title").focus({ preventScroll: true });
  }
}

/** The status at the top and the "Văn bản liên quan" section, when the relations come. */
function showRelations(promise, docId, mine) {
  const status = clear($("doc-status"));
  status.hidden = true;
  const body = clear($("doc-relations-body"));
  body.appendChild(el("p", { class: "hint" }, "Đang tải văn bản liên quan…"));
  promise
    .then((data) => {
      if (mine !== seq || currentView() !== "doc") return;
      renderRelations(data, docId, status, clear(body));
    })
    .catch((err) => {
      if (mine !== seq) return;
      const notice = el("p", { class: "notice notice-error", role: "alert" });
      clear(body).appendChild(showError(notice, err, "Không tải được văn bản liên quan."));
    });
}

/** Bring the cited passage into view and move the focus there (Tab goes on from it). */
function focusCited(smooth) {
  const cited = $("cited");
  if (!cited) return false;
  const block = $("cited-block") || cited;
  block.focus({ preventScroll: true });
  // Centre the passage; a passage taller than the window starts at its top.
  const tall = block.getBoundingClientRect().height > window.innerHeight * 0.8;
  (tall ? cited : block).scrollIntoView({ block: tall ? "start" : "center", behavior: smooth ? "smooth" : "auto" });
  return true;
}

function pageAt(pageTable, offset) {
  for (const [start, end, page] of pageTable) {
    if (offset >= start && offset < end) return page;
  }
  return null;
}

/** Sections as a flat list in document order, whether the API nests children or names them by id. */
function flattenSections(sections) {
  const out = [];
  const walk = (list, parent) => {
    if (!Array.isArray(list)) return;
    for (const s of list) {
      if (!s || typeof s !== "object") continue;
      out.push(Object.assign({}, s, { parent: s.parent !== undefined ? s.parent : parent }));
      if (Array.isArray(s.children) && s.children.some((c) => c && typeof c === "object")) walk(s.children, s.id);
    }
  };
  walk(sections, null);
  return out;
}

/**
 * Render the document text as paragraphs (one per line), section headings as
 * headings, the cited span in <mark class="cited"> (the first one id="cited"),
 * and page markers for paged sources. Returns section id -> element.
 */
function renderText(container, text, sections, span, pageTable, bodySpan) {
  const anchors = new Map();
  const byStart = new Map();
  for (const s of sections) {
    const hs = Array.isArray(s.heading_span) ? s.heading_span : s.span;
    if (!Array.isArray(hs)) continue;
    if (!byStart.has(hs[0])) byStart.set(hs[0], []);
    byStart.get(hs[0]).push(Object.assign({}, s, { hs }));
  }
  const headingStarts = [...byStart.keys()].sort((a, b) => a - b);
  let hIndex = 0;
  const pageStarts = pageTable.slice(1).map((p) => [p[0], p[2]]);
  let pIndex = 0;
  const citedSpans = span ? [span] : [];
  const body = Array.isArray(bodySpan) && bodySpan.length === 2 ? bodySpan : [0, text.length];
  let firstMark = true;
  let citedBlock = null;

  const lineRe = /[^\n]+/g;
  let m;
  const frag = document.createDocumentFragment();
  while ((m = lineRe.exec(text)) !== null) {
    const raw = m[0];
    const lead = raw.length - raw.trimStart().length;
    const trimmed = raw.trim();
    if (!trimmed) continue;
    const start = m.index + lead;
    const end = start + trimmed.length;

    const inCited = span !== null && span[0] < end && span[1] > start;
    if (inCited && !citedBlock) {
      citedBlock = el("div", {
        class: "cited-block",
        id: "cited-block",
        tabindex: "-1",
        role: "group",
        "aria-label": "Đoạn được trích dẫn",
      });
      frag.appendChild(citedBlock);
    } else if (!inCited && citedBlock) {
      citedBlock = null;
    }
    const sink = citedBlock || frag;

    // Page markers before the first line of each new page.
    while (pIndex < pageStarts.length && pageStarts[pIndex][0] <= start) {
      sink.appendChild(el("p", { class: "page-break" }, el("span", null, `Trang ${pageStarts[pIndex][1]}`)));
      pIndex += 1;
    }

    // Sections whose heading starts on this line (or in the blank space before it).
    const here = [];
    while (hIndex < headingStarts.length && headingStarts[hIndex] < end) {
      here.push(...byStart.get(headingStarts[hIndex]));
      hIndex += 1;
    }
    // A heading line of its own (not a numbered paragraph that merely opens with a lead-in).
    const whole = here.find(
      (s) =>
        HEADING_KINDS.has(s.kind) &&
        s.hs[0] <= start &&
        s.hs[1] >= end - 1 &&
        (s.title_only === true || (s.title_only === undefined && end - start <= 120))
    );
    let node;
    if (whole) {
      const level = Math.min(6, 2 + Math.max(1, Number(whole.level) || 1));
      node = el(`h${level}`, { class: `sec-heading sec-${whole.kind}` });
    } else {
      node = el("p", { class: start < body[0] ? "doc-head" : start >= body[1] ? "doc-tail" : null });
    }
    for (const s of here) {
      if (!anchors.has(s.id)) anchors.set(s.id, node);
    }
    if (here.length) {
      node.id = `muc-${here[0].id}`;
      node.setAttribute("tabindex", "-1");
    }

    appendMarked(node, text, citedSpans, start, end, "cited");
    if (inCited) {
      node.classList.add("in-cited");
      const mark = firstMark ? node.querySelector("mark.cited") : null;
      if (mark) {
        mark.id = "cited";
        firstMark = false;
      }
    }
    sink.appendChild(node);
  }
  container.appendChild(frag);
  return anchors;
}

function renderToc(sections, anchors, span) {
  const nav = clear($("toc-nav"));
  const shown = sections.filter((s) => s.kind !== "footnote" && anchors.has(s.id));
  const details = $("toc");
  if (!shown.length) {
    details.hidden = true;
    return;
  }
  details.hidden = false;
  details.open = !window.matchMedia("(max-width: 800px)").matches;
  const ids = new Set(shown.map((s) => s.id));
  const kids = new Map();
  const roots = [];
  for (const s of shown) {
    let parent = s.parent;
    // Climb to the nearest shown ancestor.
    while (parent !== null && parent !== undefined && !ids.has(parent)) {
      const p = sections.find((x) => x.id === parent);
      parent = p ? p.parent : null;
    }
    if (parent === null || parent === undefined) roots.push(s);
    else {
      if (!kids.has(parent)) kids.set(parent, []);
      kids.get(parent).push(s);
    }
  }
  let citedSection = null;
  if (span) {
    // The deepest section holding the passage: the last one in document order.
    for (const s of shown) {
      if (Array.isArray(s.span) && s.span[0] <= span[0] && span[0] < s.span[1]) citedSection = s.id;
    }
  }
  const build = (list) => {
    const ol = el("ol");
    for (const s of list) {
      const target = anchors.get(s.id);
      const button = el(
        "button",
        { type: "button", class: "toc-link", "aria-current": s.id === citedSection ? "location" : null },
        shortHeading(isString(s.heading) ? s.heading : isString(s.label) ? s.label : "(mục)")
      );
      button.addEventListener("click", () => {
        target.scrollIntoView({ block: "start" });
        target.focus({ preventScroll: true });
      });
      const li = el("li", null, button);
      if (kids.has(s.id)) li.appendChild(build(kids.get(s.id)));
      ol.appendChild(li);
    }
    return ol;
  };
  nav.appendChild(build(roots));
}

/** Scroll the table of contents (it scrolls on its own beside the text) to the cited section. */
function scrollTocToCurrent() {
  const details = $("toc");
  const current = $("toc-nav").querySelector("[aria-current]");
  if (!current || !details.open || details.scrollHeight <= details.clientHeight) return;
  const top = current.getBoundingClientRect().top - details.getBoundingClientRect().top + details.scrollTop;
  details.scrollTop = Math.max(0, top - details.clientHeight / 3);
}
