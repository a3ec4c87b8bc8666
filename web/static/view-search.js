/*
 * The search view (and the start page, which shares its section): search as one
 * types, results by document (each with its best passages) or by passage, with their
 * citation, highlights and badges; facet and kind chips, "only in force", paging.
 */

import { LatestRequest, MAX_RESULTS, PAGE_SIZE, STATS_URL, fileUrl, getJson, isPdf, searchUrl } from "./api.js";
import { citationLine, documentLine, placeLine } from "./citation.js";
import { $, clear, el, showError } from "./dom.js";
import { FACETS } from "./facets.js";
import { formatCount, isString } from "./format.js";
import { cleanSpans, renderPassage } from "./highlight.js";
import { KINDS, kindBadge } from "./kinds.js";
import { badgeLine } from "./relations.js";
import { BY_DOCUMENT, BY_PASSAGE, HOME_HASH, docHash, emptySearch, recurringHash, searchHash } from "./router.js";
import { currentView, setListHash, showSection } from "./shell.js";
import { similarToggle } from "./similar.js";

const DEBOUNCE_MS = 250;
const FACET_LIMIT = 8; // values shown per facet before "Xem thêm"
const CARD_EXCERPT_CHARS = 320; // a document's passages are shorter excerpts: it shows several

let current = emptySearch(); // the search in the route (and the box)
let debounce = null;
let filtersOpen = null; // the filter panel's open state, kept across searches
let statsLoaded = false;
let statsSeq = 0; // the stats asked for last
const request = new LatestRequest(setBusy);

function searchKey(s) {
  return JSON.stringify([s.q.trim(), s.page, s.doc_type, s.issuer, s.year, s.kind, s.status, s.group]);
}

function hasFilters(s) {
  return FACETS.some((f) => s[f.key]) || Boolean(s.kind) || Boolean(s.status);
}

/** The same query and grouping without any filter. */
function unfilteredHash(s) {
  return searchHash(Object.assign(emptySearch(), { q: s.q, group: s.group }));
}

/** The box typed into, submitted: the header's search form. */
export function init() {
  const input = $("q");
  fitPlaceholder(input);
  input.addEventListener("input", () => {
    clearTimeout(debounce);
    debounce = setTimeout(commitQuery, DEBOUNCE_MS);
  });
  $("search-form").addEventListener("submit", (e) => {
    e.preventDefault();
    commitQuery();
  });
  $("current-only").addEventListener("change", (e) => {
    location.hash = searchHash(Object.assign({}, current, { page: 1, status: e.target.checked ? "current" : "" }));
  });
}

function fitPlaceholder(input) {
  const full = input.getAttribute("placeholder");
  const narrow = window.matchMedia("(max-width: 480px)");
  const apply = () => input.setAttribute("placeholder", narrow.matches ? "Từ khóa: bão số 3, GPMB…" : full);
  apply();
  narrow.addEventListener("change", apply);
}

export function searchBox() {
  return $("q");
}

/** The route is the start page or a search. Returns false when that search's results are
 * already on screen (so that the caller may put back the scroll and the focus). */
export function show(route) {
  const s = route.search || emptySearch();
  current = s;
  if ($("q").value !== s.q) $("q").value = s.q;
  if (route.view === "home") {
    leave();
    request.shownKey = null;
    showHome();
    return true;
  }
  setListHash("search", searchHash(s));
  const fresh = searchKey(s) !== request.shownKey;
  showSearchView();
  startSearch(s);
  return fresh;
}

/** Another view opens: the search in flight (or about to start) is dropped. */
export function leave() {
  clearTimeout(debounce);
  request.abort();
}

/** The reader changed (signed in or out): what is on screen is asked for again, as they may read. */
export function reload() {
  request.forget();
  statsLoaded = false;
  statsSeq += 1;
  $("stats").textContent = "";
  const view = currentView();
  if (view === "search") {
    startSearch(current); // what is on screen stays until the new answer replaces it
    return;
  }
  // Not on screen: what the previous reader was shown goes (it may be theirs only).
  for (const id of ["results", "filters", "kind-filter", "pager"]) clear($(id));
  $("search-layout").hidden = true;
  $("dense-note").hidden = true;
  $("status").textContent = "";
  if (view === "home") loadStats();
}

function setBusy(busy) {
  $("busy").hidden = !busy;
  $("results").setAttribute("aria-busy", busy ? "true" : "false");
  document.body.classList.toggle("is-busy", busy);
}

function startSearch(s) {
  if (!s.q.trim()) {
    leave();
    showHome();
    return;
  }
  request.fetch(
    searchKey(s),
    searchUrl(s),
    (data) => renderResults(data, s),
    (err) => renderSearchError(err, s)
  );
}

/** The query box changed (typing, after the debounce) or was submitted. */
function commitQuery() {
  clearTimeout(debounce);
  const q = $("q").value;
  const onDocument = currentView() === "doc";
  if (!q.trim()) {
    if (!onDocument) {
      history.replaceState(null, "", HOME_HASH);
      leave();
      request.shownKey = null;
      showHome();
    }
    return;
  }
  // A new query keeps the filters and starts at page 1.
  const s = Object.assign({}, current, { q, page: 1 });
  if (q.trim() === current.q.trim()) s.page = current.page;
  const hash = searchHash(s);
  if (onDocument) {
    location.hash = hash; // a new history entry: back returns to the document
    return;
  }
  // Typing replaces the current entry instead of adding one per keystroke.
  if (location.hash !== hash) history.replaceState(null, "", hash);
  current = s;
  setListHash("search", hash);
  showSearchView();
  startSearch(s);
}

/** The start page: what the index holds, examples. */
export function showHome() {
  setListHash("search", HOME_HASH);
  showSection("home");
  $("intro").hidden = false;
  $("search-layout").hidden = true;
  $("error").hidden = true;
  $("dense-note").hidden = true;
  $("status").textContent = "";
  document.title = "vanban — Tìm kiếm văn bản";
  loadStats();
}

function showSearchView() {
  showSection("search");
  $("intro").hidden = true;
}

function renderSearchError(err, s) {
  showSearchView();
  $("search-layout").hidden = true;
  $("dense-note").hidden = true;
  $("status").textContent = "";
  showError($("error"), err, "Không tìm được.");
  document.title = `${s.q.trim()} — vanban`;
}

function renderResults(data, s) {
  showSearchView();
  $("error").hidden = true;
  $("search-layout").hidden = false;
  // By document when the API answered so (documents), by passage otherwise (results).
  const byDocument = Array.isArray(data.documents);
  const items = (byDocument ? data.documents : Array.isArray(data.results) ? data.results : []).filter(
    (x) => x && typeof x === "object"
  );
  const total = Number.isFinite(data.total) ? data.total : items.length;
  const k = Number.isFinite(data.k) && data.k > 0 ? data.k : PAGE_SIZE;
  const page = Number.isFinite(data.page) && data.page > 0 ? data.page : s.page;
  // The API pages through the first MAX_RESULTS passages (or the documents among them) only.
  const pages = Math.max(1, Math.min(Math.ceil(total / k), Math.floor(MAX_RESULTS / k)));
  const query = isString(data.query) ? data.query : s.q.trim();
  document.title = `${query} — vanban`;

  // Count and timing, announced by the live region.
  const timings = data.timings_ms || {};
  const ms = Number.isFinite(timings.total) ? Math.round(timings.total) : null;
  let status;
  if (total === 0 || (items.length === 0 && page === 1)) {
    status = `Không tìm thấy kết quả cho “${query}”` + (hasFilters(s) ? " với bộ lọc đang chọn." : ".");
  } else {
    const counted = byDocument ? "văn bản" : "đoạn";
    status = `Tìm thấy ${formatCount(total)} ${counted}` + (ms !== null ? ` (${formatCount(ms)} ms)` : "");
    if (pages > 1) status += ` — trang ${page}/${pages}`;
  }
  $("status").textContent = status;

  const note = $("dense-note");
  if (isString(data.dense_query) && data.dense_query !== query) {
    clear(note).appendChild(document.createTextNode("Tìm theo nghĩa với: "));
    note.appendChild(el("q", null, data.dense_query));
    note.hidden = false;
  } else {
    note.hidden = true;
  }

  renderFacets(data.facets || {}, s);
  renderOptions(s);
  renderKindFilter(s);

  const list = clear($("results"));
  list.setAttribute("start", String((page - 1) * k + 1));
  if (items.length === 0) {
    const empty = el("li", { class: "empty" });
    if (total > 0) {
      empty.appendChild(el("p", null, "Trang này không còn kết quả."));
      const first = searchHash(Object.assign({}, s, { page: 1 }));
      empty.appendChild(el("p", null, el("a", { href: first }, "Về trang 1")));
    } else {
      empty.appendChild(el("p", null, "Không tìm thấy kết quả cho ", el("q", null, query), "."));
      const tips = el("ul", { class: "tips" });
      if (hasFilters(s)) {
        const unfiltered = unfilteredHash(s);
        tips.appendChild(el("li", null, el("a", { href: unfiltered }, "Bỏ bộ lọc"), " và tìm lại."));
      }
      tips.appendChild(el("li", null, "Thử ít từ hơn, hoặc từ đồng nghĩa, chữ viết tắt (GPMB, KT-XH)."));
      empty.appendChild(tips);
    }
    list.appendChild(empty);
  }
  for (const x of items) list.appendChild(byDocument ? renderDocumentResult(x) : renderResult(x));
  renderPager(page, pages, s);
}

/** The grouping toggle (links, so that each grouping has its address) and "only in force". */
function renderOptions(s) {
  for (const [id, group] of [["group-document", BY_DOCUMENT], ["group-passage", BY_PASSAGE]]) {
    const link = $(id);
    const on = s.group === group;
    link.setAttribute("href", searchHash(Object.assign({}, s, { page: 1, group })));
    link.classList.toggle("seg-on", on);
    if (on) link.setAttribute("aria-current", "true");
    else link.removeAttribute("aria-current");
  }
  $("current-only").checked = s.status === "current";
}

/** Where a passage lies in its document, linked to it there: "mục 2 › … — trang 3". */
function passagePlace(r, docId) {
  const c = r.citation || {};
  const span = Array.isArray(c.char_span) ? c.char_span : null;
  const chunkId = Number.isInteger(r.chunk_id) ? r.chunk_id : null;
  const place = placeLine(c, docId);
  return el(
    "a",
    { href: docHash(docId, span, chunkId), class: "passage-link", "data-doc": docId },
    place || "Đoạn trích (ngoài các mục)"
  );
}

/** One card per document: its citation and badges, its best passages each where it lies
 * and highlighted, and how many more of its passages matched. */
function renderDocumentResult(d) {
  const c = d.citation || {};
  const docId = String(d.doc_id || "");
  const passages = Array.isArray(d.passages) ? d.passages.filter((p) => p && typeof p === "object") : [];
  const best = passages[0] || null;
  const bestSpan = best && Array.isArray((best.citation || {}).char_span) ? best.citation.char_span : null;
  const bestChunk = best && Number.isInteger(best.chunk_id) ? best.chunk_id : null;
  const item = el("li", { class: "result doc-result", "data-doc": docId });
  // The title opens the document at its best passage: where a reader of the card wants to be.
  const link = el(
    "a",
    { href: docHash(docId, bestSpan, bestChunk), class: "result-link", "data-doc": docId },
    documentLine(c, docId)
  );
  item.appendChild(el("h3", { class: "citation" }, link));
  const match = isString(d.match) ? d.match : (passages.find((p) => isString(p.match)) || {}).match;
  const badges = badgeLine(match, d.status);
  if (badges) item.appendChild(badges);
  if (isString(c.subject)) item.appendChild(el("p", { class: "subject" }, c.subject));

  const list = el("ol", { class: "doc-passages" });
  for (const p of passages) {
    const hit = el("li", { class: "hit" });
    const kind = kindBadge(p.kind);
    hit.appendChild(el("p", { class: "passage-place" }, kind, kind ? " " : null, passagePlace(p, docId)));
    appendPassage(hit, p, docId, { chars: CARD_EXCERPT_CHARS });
    list.appendChild(hit);
  }
  if (passages.length) item.appendChild(list);

  const foot = el("p", { class: "result-actions doc-actions-line" });
  const more = Number.isInteger(d.more) && d.more > 0 ? d.more : 0;
  if (more) {
    foot.appendChild(
      el(
        "a",
        { href: docHash(docId), class: "more-link", "data-doc": docId },
        `${formatCount(more)} đoạn khác`,
        el("span", { class: "more-where" }, " trong văn bản này")
      )
    );
  }
  foot.appendChild(fileLink(docId, best ? best.citation : null));
  item.appendChild(foot);
  return item;
}

function renderResult(r) {
  const c = r.citation || {};
  const docId = String(r.doc_id || "");
  const span = Array.isArray(c.char_span) ? c.char_span : null;
  const chunkId = Number.isInteger(r.chunk_id) ? r.chunk_id : null;
  const href = docHash(docId, span, chunkId);
  const item = el("li", { class: "result hit" });
  const link = el("a", { href, class: "result-link passage-link", "data-doc": docId }, citationLine(c, docId));
  const heading = el("h3", { class: "citation" }, link);
  item.appendChild(heading);
  const badges = badgeLine(r.match, r.status);
  if (badges) item.appendChild(badges);
  const kind = kindBadge(r.kind);
  if (isString(c.subject) || kind) {
    const subject = isString(c.subject) ? c.subject : null;
    item.appendChild(el("p", { class: "subject" }, kind, kind && subject ? " " : null, subject));
  }
  appendPassage(item, r, docId, { withFile: true });
  return item;
}

/** The passage, an excerpt around its first match, with its actions: the whole passage,
 * the original file (when asked), its recurrences (for a shortcoming), similar passages. */
function appendPassage(item, r, docId, { withFile = false, chars } = {}) {
  const c = r.citation || {};
  const chunkId = Number.isInteger(r.chunk_id) ? r.chunk_id : null;
  const text = typeof r.text === "string" ? r.text : "";
  const spans = cleanSpans(r.highlights, text.length);
  const passage = el("p", { class: "passage", lang: "vi" });
  const cut = renderPassage(passage, text, spans, false, chars);
  item.appendChild(passage);

  const actions = el("p", { class: "result-actions" });
  if (cut) {
    const toggle = el("button", { type: "button", class: "linkish", "aria-expanded": "false" }, "Hiện toàn đoạn");
    toggle.addEventListener("click", () => {
      const open = toggle.getAttribute("aria-expanded") !== "true";
      renderPassage(passage, text, spans, open, chars);
      toggle.setAttribute("aria-expanded", open ? "true" : "false");
      toggle.textContent = open ? "Thu gọn" : "Hiện toàn đoạn";
    });
    actions.appendChild(toggle);
  }
  if (withFile) actions.appendChild(fileLink(docId, c));
  if (chunkId !== null) {
    if (r.kind === "shortcoming") {
      const recurring = recurringHash({ q: "", passage: chunkId });
      actions.appendChild(el("a", { href: recurring, class: "recurring-link" }, "Lặp lại ở văn bản nào?"));
    }
    const panel = el("div", { class: "similar", id: `tuong-tu-${chunkId}`, hidden: true });
    actions.appendChild(similarToggle(chunkId, panel, "Tương tự"));
    item.appendChild(actions);
    item.appendChild(panel);
  } else if (actions.firstChild) {
    item.appendChild(actions);
  }
}

/** The original file; a PDF opens at the passage's page. */
function fileLink(docId, citation) {
  const c = citation || {};
  const page = Array.isArray(c.pages) && Number.isInteger(c.pages[0]) ? c.pages[0] : null;
  const pdf = isPdf(docId);
  return el(
    "a",
    { href: fileUrl(docId, page, pdf), class: "file-link", target: "_blank", rel: "noopener" },
    "Tệp gốc",
    pdf && page ? el("span", { class: "visually-hidden" }, ` (PDF, trang ${page})`) : null
  );
}

/** Chips for the kind of passage (result, shortcoming, task…), above the results. */
function renderKindFilter(s) {
  const box = clear($("kind-filter"));
  box.appendChild(el("span", { class: "kind-filter-title", id: "kind-filter-title" }, "Loại đoạn:"));
  const list = el("ul", { class: "chips" });
  const choices = [["", "Tất cả"], ...KINDS];
  for (const [value, label] of choices) {
    const on = (s.kind || "") === value;
    const next = Object.assign({}, s, { page: 1, kind: value });
    list.appendChild(
      el(
        "li",
        null,
        el(
          "a",
          {
            href: searchHash(next),
            class: on ? "chip chip-on kind-chip" : "chip kind-chip",
            "data-kind": value || "all",
            "aria-current": on ? "true" : null,
          },
          on ? el("span", { "aria-hidden": "true", class: "chip-check" }, "✓ ") : null,
          el("span", { class: "chip-label" }, label)
        )
      )
    );
  }
  box.appendChild(list);
}

function renderFacets(facets, s) {
  const aside = clear($("filters"));
  // Open on wide screens; on narrow ones folded under its summary so results come first.
  if (filtersOpen === null) filtersOpen = !window.matchMedia("(max-width: 859px)").matches;
  const details = el("details", { class: "filters-details", open: filtersOpen });
  details.addEventListener("toggle", () => {
    filtersOpen = details.open;
  });
  const activeNames = FACETS.filter((f) => s[f.key]).map((f) => s[f.key]);
  if (s.status === "current") activeNames.push("còn hiệu lực");
  details.appendChild(
    el(
      "summary",
      { class: "filters-title" },
      "Bộ lọc",
      activeNames.length ? el("span", { class: "filters-active" }, `: ${activeNames.join(", ")}`) : null
    )
  );
  aside.appendChild(details);
  const box = details;
  let any = false;
  for (const f of FACETS) {
    const given = Array.isArray(facets[f.key]) ? facets[f.key] : [];
    const values = given
      .filter((v) => v && v.value !== null && v.value !== undefined && v.value !== "")
      .map((v) => ({ value: String(v.value), count: v.count }));
    const active = s[f.key];
    if (active && !values.some((v) => v.value === active)) values.unshift({ value: active, count: null });
    if (!values.length) continue;
    any = true;
    const group = el("div", { class: "facet", role: "group", "aria-labelledby": `facet-${f.key}` });
    group.appendChild(el("h3", { class: "facet-title", id: `facet-${f.key}` }, f.label));
    const list = el("ul", { class: "chips" });
    values.forEach((v, i) => {
      const on = v.value === active;
      const next = Object.assign({}, s, { page: 1 });
      next[f.key] = on ? "" : v.value;
      const link = el(
        "a",
        {
          href: searchHash(next),
          class: on ? "chip chip-on" : "chip",
          "aria-current": on ? "true" : null,
          title: on ? "Bỏ lọc này" : null,
        },
        on ? el("span", { "aria-hidden": "true", class: "chip-check" }, "✓ ") : null,
        el("span", { class: "chip-label" }, v.value),
        Number.isFinite(v.count) ? el("span", { class: "chip-count" }, ` ${formatCount(v.count)}`) : null,
        el("span", { class: "visually-hidden" }, on ? " (đang lọc; bấm để bỏ)" : " đoạn")
      );
      const li = el("li", i >= FACET_LIMIT && !on ? { class: "chip-extra", hidden: true } : null, link);
      list.appendChild(li);
    });
    group.appendChild(list);
    const extra = values.length - FACET_LIMIT;
    if (extra > 0) {
      const more = el(
        "button",
        { type: "button", class: "linkish facet-more", "aria-expanded": "false" },
        `Xem thêm ${extra}`
      );
      more.addEventListener("click", () => {
        const open = more.getAttribute("aria-expanded") !== "true";
        for (const li of list.querySelectorAll(".chip-extra")) li.hidden = !open;
        more.setAttribute("aria-expanded", open ? "true" : "false");
        more.textContent = open ? "Thu gọn" : `Xem thêm ${extra}`;
      });
      group.appendChild(more);
    }
    box.appendChild(group);
  }
  if (hasFilters(s)) {
    const unfiltered = unfilteredHash(s);
    const clearAll = el("a", { href: unfiltered, class: "button-link" }, "Xóa bộ lọc");
    box.appendChild(el("p", { class: "clear-filters" }, clearAll));
  } else if (!any) {
    box.appendChild(el("p", { class: "hint" }, "Không có bộ lọc cho kết quả này."));
  }
}

function renderPager(page, pages, s) {
  const nav = clear($("pager"));
  if (pages <= 1 && page <= 1) {
    nav.hidden = true;
    return;
  }
  nav.hidden = false;
  const step = (enabled, to, rel, label) =>
    enabled
      ? el("a", { href: searchHash(Object.assign({}, s, { page: to })), class: "button-link", rel }, label)
      : el("span", { class: "button-link disabled", "aria-disabled": "true" }, label);
  nav.appendChild(step(page > 1, page - 1, "prev", "← Trước"));
  const of = el("span", { class: "pager-of" }, ` / ${pages}`);
  nav.appendChild(el("span", { class: "pager-current", "aria-current": "page" }, `Trang ${page}`, of));
  nav.appendChild(step(page < pages, page + 1, "next", "Sau →"));
}

// ---------------------------------------------------------------- the start page's line about the index

function loadStats() {
  if (statsLoaded) return;
  statsLoaded = true;
  const asked = ++statsSeq;
  getJson(STATS_URL)
    .then((data) => {
      if (asked !== statsSeq) return; // counted for a reader who has since signed in or out
      const docs = pickNumber(data, ["documents", "docs"]);
      const chunks = pickNumber(data, ["chunks", "passages"]);
      if (docs === null) return;
      let line = `Chỉ mục hiện có ${formatCount(docs)} văn bản`;
      if (chunks !== null) line += `, ${formatCount(chunks)} đoạn`;
      $("stats").textContent = line + ".";
    })
    .catch(() => {
      if (asked === statsSeq) statsLoaded = false;
    });
}

/** The first number under one of names, searched depth first (the stats nest their counts). */
function pickNumber(obj, names) {
  if (!obj || typeof obj !== "object") return null;
  for (const n of names) {
    if (Number.isFinite(obj[n])) return obj[n];
  }
  for (const v of Object.values(obj)) {
    if (v && typeof v === "object" && !Array.isArray(v)) {
      const found = pickNumber(v, names);
      if (found !== null) return found;
    }
  }
  return null;
}
