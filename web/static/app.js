/*
 * vanban search page: plain JavaScript, no framework, no build step.
 *
 * Routes live in the URL hash so that searches and documents are linkable and
 * the back button works:
 *   #/                                     start page
 *   #/tim-kiem?q=…&trang=2&loai=…&co-quan=…&nam=2024&loai-doan=task   a search
 *   #/van-ban/<encoded doc_id>?doan=<start>-<end>&ma-doan=<chunk id>  a document, cited passage marked
 *   #/nhiem-vu?q=…&don-vi=…&han-truoc=2024-10-31       tasks: unit, action, deadline, source
 *   #/ton-tai?q=…   (or ?ma-doan=<chunk id>)           recurring shortcomings as timelines
 *
 * Security: every string that comes from the API (documents, metadata,
 * messages) is inserted with text nodes, never parsed as HTML.
 */
"use strict";

(function () {
  const API = "/api";
  const PAGE_SIZE = 10;
  const MAX_RESULTS = 200; // the API answers pages within its first 200 passages
  const DEBOUNCE_MS = 250;
  const EXCERPT_CHARS = 600; // longer passages are shown as an excerpt around the first match
  const FACET_LIMIT = 8; // values shown per facet before "Xem thêm"
  const SEARCH_ROUTE = "/tim-kiem";
  const DOC_ROUTE = "/van-ban/";
  const TASKS_ROUTE = "/nhiem-vu";
  const RECURRING_ROUTE = "/ton-tai";
  const TASKS_PAGE = 50; // tasks asked for at first; "Hiện thêm" asks for TASKS_MAX
  const TASKS_MAX = 200;
  const SIMILAR_K = 5;
  const LIST_VIEWS = new Set(["home", "search", "tasks", "recurring"]);

  // Passage kinds: API value -> Vietnamese label (the order of the filter chips).
  const KINDS = [
    ["result", "Kết quả"],
    ["shortcoming", "Tồn tại, hạn chế"],
    ["cause", "Nguyên nhân"],
    ["task", "Nhiệm vụ"],
    ["proposal", "Kiến nghị, đề xuất"],
    ["other", "Khác"],
  ];
  const KIND_LABELS = new Map(KINDS);

  // Facets: API name, URL parameter, Vietnamese label.
  const FACETS = [
    { key: "doc_type", param: "loai", label: "Loại văn bản" },
    { key: "issuer", param: "co-quan", label: "Cơ quan ban hành" },
    { key: "year", param: "nam", label: "Năm ban hành" },
  ];

  // ---------------------------------------------------------------- helpers

  function $(id) {
    return document.getElementById(id);
  }

  /** Create an element; string children become text nodes (never HTML). */
  function el(tag, attrs, ...children) {
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

  function clear(node) {
    while (node.firstChild) node.removeChild(node.firstChild);
    return node;
  }

  function isString(v) {
    return typeof v === "string" && v.length > 0;
  }

  /** "2024-07-19" -> "19/7/2024"; "2024-07" -> "7/2024"; anything else unchanged. */
  function formatDate(value) {
    if (!isString(value)) return null;
    let m = /^(\d{4})-(\d{1,2})-(\d{1,2})/.exec(value);
    if (m) return `${Number(m[3])}/${Number(m[2])}/${m[1]}`;
    m = /^(\d{4})-(\d{1,2})$/.exec(value);
    if (m) return `${Number(m[2])}/${m[1]}`;
    return value;
  }

  function formatPages(pages) {
    if (!Array.isArray(pages) || pages.length === 0 || pages[0] == null) return null;
    const first = pages[0];
    const last = pages.length > 1 && pages[1] != null ? pages[1] : first;
    return last !== first ? `trang ${first}–${last}` : `trang ${first}`;
  }

  function formatCount(n) {
    return Number(n || 0).toLocaleString("vi-VN");
  }

  function isPdf(docId, format) {
    return format === "pdf" || /\.pdf$/i.test(docId || "");
  }

  /** Link to a document; the cited span is marked there, and the passage's id lets the
   * document view offer "Đoạn tương tự". */
  function docHash(docId, span, chunkId) {
    let hash = "#" + DOC_ROUTE + encodeURIComponent(docId);
    if (Array.isArray(span) && span.length === 2 && Number.isFinite(span[0]) && Number.isFinite(span[1])) {
      hash += `?doan=${span[0]}-${span[1]}`;
      if (Number.isInteger(chunkId) && chunkId >= 0) hash += `&ma-doan=${chunkId}`;
    }
    return hash;
  }

  const ROMAN_QUARTERS = ["I", "II", "III", "IV"];

  /** A task deadline as the API normalises it, in words:
   * "2024-08-15" -> "15/8/2024", "2024-09" -> "tháng 9/2024", "2024-Q3" -> "Quý III/2024",
   * "2024-H2" -> "6 tháng cuối năm 2024", "2024" -> "năm 2024". */
  function formatDeadline(value) {
    if (!isString(value)) return null;
    let m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(value);
    if (m) return `${Number(m[3])}/${Number(m[2])}/${m[1]}`;
    if ((m = /^(\d{4})-(\d{2})$/.exec(value))) return `tháng ${Number(m[2])}/${m[1]}`;
    if ((m = /^(\d{4})-Q([1-4])$/i.exec(value))) return `Quý ${ROMAN_QUARTERS[Number(m[2]) - 1]}/${m[1]}`;
    if ((m = /^(\d{4})-H([12])$/i.exec(value))) return `6 tháng ${m[2] === "1" ? "đầu" : "cuối"} năm ${m[1]}`;
    if ((m = /^(\d{4})$/.exec(value))) return `năm ${m[1]}`;
    return value;
  }

  /** A machine-readable form for <time datetime>, where HTML has one (not for quarters, halves). */
  function datetimeAttr(value) {
    return isString(value) && /^\d{4}(-\d{2}(-\d{2})?)?$/.test(value) ? value : null;
  }

  /** Lower case, no diacritics: "Phòng Nông nghiệp" and "phong nong nghiep" compare equal. */
  function fold(s) {
    return String(s || "")
      .normalize("NFD")
      .replace(/[\u0300-\u036f]/g, "")
      .replace(/[đĐ]/g, "d")
      .toLowerCase()
      .replace(/\s+/g, " ")
      .trim();
  }

  function kindLabel(kind) {
    if (!isString(kind) || !KIND_LABELS.has(kind)) return null;
    return el("span", { class: `kind-label kind-${kind}`, "data-kind": kind }, KIND_LABELS.get(kind));
  }

  /** URL of the original file; a PDF opens at the cited page. Built here rather than taken
   * from the API's file_url, so that the doc_id is always percent-encoded. */
  function fileUrl(docId, page, pdf) {
    let url = `${API}/documents/${encodeURIComponent(docId)}/file`;
    if (pdf && Number.isInteger(page) && page > 0) url += `#page=${page}`;
    return url;
  }

  // ---------------------------------------------------------------- citation

  /** Document type and number: "Thông báo số 163/TB-UBND"; just the type when there is no number. */
  function docLabel(meta, fallback) {
    const type = isString(meta.doc_type) ? meta.doc_type : null;
    const number = isString(meta.number) ? meta.number : null;
    if (type && number) return `${type} số ${number}`;
    if (type) return type;
    if (number) return `Văn bản số ${number}`;
    return isString(meta.title) ? meta.title : fallback || "Văn bản";
  }

  /** "Thông báo số 163/TB-UBND ngày 19/7/2024 — UBND huyện … — mục 4.2 › … — trang 3" */
  function citationLine(citation, docId, withoutDate) {
    return citationParts(citation, docId, withoutDate).join(" — ");
  }

  /** The citation line's parts: [type, number and date; issuer; section; pages]. */
  function citationParts(citation, docId, withoutDate) {
    const c = citation || {};
    let head = docLabel(c, docId);
    if (!withoutDate) {
      if (isString(c.issued_date)) head += ` ngày ${formatDate(c.issued_date)}`;
      else if (isString(c.event_date)) head += ` (họp ngày ${formatDate(c.event_date)})`;
    }
    const parts = [head];
    if (isString(c.issuer)) parts.push(c.issuer);
    const path = Array.isArray(c.heading_path) ? c.heading_path.filter(isString) : [];
    if (path.length) parts.push("mục " + path.map(shortHeading).join(" › "));
    const pages = formatPages(c.pages);
    if (pages) parts.push(pages);
    return parts;
  }

  /** "4.2. Về lĩnh vực y tế" -> "4.2. Về lĩnh vực y tế"; overly long headings are cut at a word. */
  function shortHeading(heading) {
    const h = heading.replace(/\s+/g, " ").trim();
    if (h.length <= 90) return h;
    const cut = h.lastIndexOf(" ", 85);
    return h.slice(0, cut > 40 ? cut : 85) + "…";
  }

  // ---------------------------------------------------------------- highlighting

  /** Sorted, clipped, non-overlapping [start, end] spans. */
  function cleanSpans(spans, length) {
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
  function appendMarked(node, text, spans, from, to, markClass, transform) {
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

  /** The window of a long passage to show: about EXCERPT_CHARS around the first match, cut at spaces. */
  function excerptWindow(text, spans) {
    if (text.length <= EXCERPT_CHARS + 100) return [0, text.length];
    const anchor = spans.length ? spans[0][0] : 0;
    let start = Math.max(0, anchor - Math.floor(EXCERPT_CHARS / 4));
    if (start > 0) {
      const space = text.indexOf(" ", start);
      start = space >= 0 && space < anchor ? space + 1 : start;
    }
    let end = Math.min(text.length, start + EXCERPT_CHARS);
    if (end < text.length) {
      const space = text.lastIndexOf(" ", end);
      end = space > start + EXCERPT_CHARS / 2 ? space : end;
    }
    return [start, end];
  }

  function renderPassage(container, text, spans, full) {
    clear(container);
    const [start, end] = full ? [0, text.length] : excerptWindow(text, spans);
    if (start > 0) container.appendChild(document.createTextNode("… "));
    appendMarked(container, text, spans, start, end, null, squeezeLines);
    if (end < text.length) container.appendChild(document.createTextNode(" …"));
    return start > 0 || end < text.length;
  }

  // ---------------------------------------------------------------- routes

  function emptySearch() {
    return { q: "", page: 1, doc_type: "", issuer: "", year: "", kind: "" };
  }

  function emptyTasks() {
    return { q: "", unit: "", due: "" };
  }

  function emptyRecurring() {
    return { q: "", passage: null };
  }

  function isoDay(value) {
    return /^\d{4}-\d{2}-\d{2}$/.test(value || "") ? value : "";
  }

  function parseRoute(hash) {
    const raw = (hash || "").replace(/^#/, "");
    if (raw === "" || raw === "/") return { view: "home" };
    const qpos = raw.indexOf("?");
    const path = qpos >= 0 ? raw.slice(0, qpos) : raw;
    const params = new URLSearchParams(qpos >= 0 ? raw.slice(qpos + 1) : "");
    if (path === SEARCH_ROUTE) {
      const s = emptySearch();
      s.q = params.get("q") || "";
      const page = parseInt(params.get("trang") || "1", 10);
      s.page = Number.isFinite(page) && page > 0 ? page : 1;
      for (const f of FACETS) s[f.key] = params.get(f.param) || "";
      if (!/^\d{4}$/.test(s.year)) s.year = "";
      const kind = params.get("loai-doan") || "";
      s.kind = KIND_LABELS.has(kind) ? kind : "";
      return { view: s.q.trim() ? "search" : "home", search: s };
    }
    if (path === TASKS_ROUTE) {
      const t = emptyTasks();
      t.q = params.get("q") || "";
      t.unit = params.get("don-vi") || "";
      t.due = isoDay(params.get("han-truoc"));
      return { view: "tasks", tasks: t };
    }
    if (path === RECURRING_ROUTE) {
      const r = emptyRecurring();
      r.q = params.get("q") || "";
      const id = /^\d+$/.test(params.get("ma-doan") || "") ? Number(params.get("ma-doan")) : null;
      if (!r.q.trim() && id !== null && id > 0) r.passage = id;
      return { view: "recurring", recurring: r };
    }
    if (path.startsWith(DOC_ROUTE)) {
      let docId;
      try {
        docId = decodeURIComponent(path.slice(DOC_ROUTE.length));
      } catch (e) {
        docId = path.slice(DOC_ROUTE.length);
      }
      const m = /^(\d+)-(\d+)$/.exec(params.get("doan") || "");
      const span = m ? [Number(m[1]), Number(m[2])] : null;
      const chunkId = span && /^\d+$/.test(params.get("ma-doan") || "") ? Number(params.get("ma-doan")) : null;
      return { view: "doc", docId, span, chunkId };
    }
    return null; // not one of ours (e.g. the skip link): leave the page as it is
  }

  function searchHash(s) {
    const params = new URLSearchParams();
    params.set("q", s.q);
    if (s.page > 1) params.set("trang", String(s.page));
    for (const f of FACETS) if (s[f.key]) params.set(f.param, s[f.key]);
    if (s.kind) params.set("loai-doan", s.kind);
    return "#" + SEARCH_ROUTE + "?" + params.toString();
  }

  function searchKey(s) {
    return JSON.stringify([s.q.trim(), s.page, s.doc_type, s.issuer, s.year, s.kind]);
  }

  function hasFilters(s) {
    return FACETS.some((f) => s[f.key]) || Boolean(s.kind);
  }

  function tasksHash(t) {
    const params = new URLSearchParams();
    if (t.q.trim()) params.set("q", t.q);
    if (t.unit) params.set("don-vi", t.unit);
    if (t.due) params.set("han-truoc", t.due);
    const query = params.toString();
    return "#" + TASKS_ROUTE + (query ? "?" + query : "");
  }

  function tasksKey(t, limit) {
    return JSON.stringify([t.q.trim(), t.unit, t.due, limit]);
  }

  function recurringHash(r) {
    if (r.q.trim()) return "#" + RECURRING_ROUTE + "?" + new URLSearchParams({ q: r.q }).toString();
    if (r.passage) return "#" + RECURRING_ROUTE + "?ma-doan=" + r.passage;
    return "#" + RECURRING_ROUTE;
  }

  function recurringKey(r) {
    return JSON.stringify([r.q.trim(), r.passage]);
  }

  // ---------------------------------------------------------------- state

  /** One list view's requests: the answer on screen, the one in flight, and a sequence
   * number so that an older answer arriving late is dropped. */
  function loader() {
    return { shownKey: null, pendingKey: null, controller: null, seq: 0 };
  }

  const state = {
    view: null, // "home" | "search" | "doc" | "tasks" | "recurring"
    search: emptySearch(),
    shownKey: null, // the search whose results are on screen
    pendingKey: null, // the search in flight
    controller: null,
    seq: 0,
    debounce: null,
    lastSearchHash: "#/",
    lastTasksHash: "#" + TASKS_ROUTE,
    lastRecurringHash: "#" + RECURRING_ROUTE,
    // Where the open document was reached from: the list view, its hash, and how many
    // history entries back it is (0: opened directly, so the back link sets the hash).
    origin: { view: "search", hash: "#/", depth: 0 },
    scrolls: {}, // window scroll of each list view when a document was opened from it
    returnTo: null, // href of the link to focus when coming back
    docSeq: 0,
    docCache: new Map(),
    filtersOpen: null, // the filter panel's open state, kept across searches
    tasks: emptyTasks(),
    tasksLimit: TASKS_PAGE,
    tasksLoad: loader(),
    tasksDebounce: null,
    assignees: null, // promise of /api/assignees, fetched once
    recurring: emptyRecurring(),
    recurringLoad: loader(),
    recurringDebounce: null,
  };

  // ---------------------------------------------------------------- API

  class ApiError extends Error {
    constructor(message, code, status) {
      super(message);
      this.code = code;
      this.status = status;
    }
  }

  async function getJson(url, signal) {
    let response;
    try {
      response = await fetch(url, { signal, headers: { Accept: "application/json" } });
    } catch (err) {
      if (err && err.name === "AbortError") throw err;
      throw new ApiError("Không kết nối được với máy chủ tìm kiếm. Vui lòng thử lại.", "network", 0);
    }
    let body = null;
    try {
      body = await response.json();
    } catch (e) {
      if (e && e.name === "AbortError") throw e;
      body = null; // not JSON: a proxy's error page, say
    }
    if (!response.ok || body === null) {
      const apiErr = body && body.error;
      const message =
        apiErr && isString(apiErr.message) ? apiErr.message : `Máy chủ trả lỗi ${response.status}. Vui lòng thử lại.`;
      throw new ApiError(message, apiErr && apiErr.code, response.status);
    }
    return body;
  }

  function searchUrl(s) {
    const p = new URLSearchParams();
    p.set("q", s.q.trim());
    p.set("k", String(PAGE_SIZE));
    p.set("page", String(s.page));
    if (s.issuer) p.set("issuer", s.issuer);
    if (s.doc_type) p.set("doc_type", s.doc_type);
    if (s.year) {
      p.set("date_from", `${s.year}-01-01`);
      p.set("date_to", `${s.year}-12-31`);
    }
    if (s.kind) p.set("kind", s.kind);
    p.set("mode", "hybrid");
    return `${API}/search?${p.toString()}`;
  }

  // ---------------------------------------------------------------- search

  function setBusy(busy) {
    $("busy").hidden = !busy;
    $("results").setAttribute("aria-busy", busy ? "true" : "false");
    document.body.classList.toggle("is-busy", busy);
  }

  function abortSearch() {
    clearTimeout(state.debounce);
    if (state.controller) state.controller.abort();
    state.controller = null;
    state.pendingKey = null;
    state.seq += 1; // any response still on its way is now stale
    setBusy(false);
  }

  function startSearch(s) {
    const key = searchKey(s);
    if (!s.q.trim()) {
      abortSearch();
      showHome();
      return;
    }
    if (key === state.shownKey || key === state.pendingKey) return;
    if (state.controller) state.controller.abort();
    const controller = new AbortController();
    const seq = ++state.seq;
    state.controller = controller;
    state.pendingKey = key;
    setBusy(true);
    getJson(searchUrl(s), controller.signal)
      .then((data) => {
        if (seq !== state.seq) return; // an older answer arriving late
        state.shownKey = key;
        renderResults(data, s);
      })
      .catch((err) => {
        if ((err && err.name === "AbortError") || seq !== state.seq) return;
        state.shownKey = null;
        renderSearchError(err, s);
      })
      .finally(() => {
        if (seq === state.seq) {
          state.pendingKey = null;
          state.controller = null;
          setBusy(false);
        }
      });
  }

  /** The query box changed (typing, after the debounce) or was submitted. */
  function commitQuery() {
    clearTimeout(state.debounce);
    const q = $("q").value;
    if (!q.trim()) {
      if (state.view !== "doc") {
        history.replaceState(null, "", "#/");
        abortSearch();
        state.shownKey = null;
        showHome();
      }
      return;
    }
    // A new query keeps the filters and starts at page 1.
    const s = Object.assign({}, state.search, { q, page: 1 });
    if (q.trim() === state.search.q.trim()) s.page = state.search.page;
    const hash = searchHash(s);
    if (state.view === "doc") {
      location.hash = hash; // a new history entry: back returns to the document
      return;
    }
    // Typing replaces the current entry instead of adding one per keystroke.
    if (location.hash !== hash) history.replaceState(null, "", hash);
    state.search = s;
    state.lastSearchHash = hash;
    showSearchView();
    startSearch(s);
  }

  function showHome() {
    state.lastSearchHash = "#/";
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
    const box = clear($("error"));
    box.appendChild(el("strong", null, "Lỗi: "));
    box.appendChild(document.createTextNode(err && err.message ? err.message : "Không tìm được."));
    box.hidden = false;
    document.title = `${s.q.trim()} — vanban`;
  }

  function renderResults(data, s) {
    showSearchView();
    $("error").hidden = true;
    $("search-layout").hidden = false;
    const results = Array.isArray(data.results) ? data.results : [];
    const total = Number.isFinite(data.total) ? data.total : results.length;
    const k = Number.isFinite(data.k) && data.k > 0 ? data.k : PAGE_SIZE;
    const page = Number.isFinite(data.page) && data.page > 0 ? data.page : s.page;
    // The API pages through the first MAX_RESULTS passages only.
    const pages = Math.max(1, Math.min(Math.ceil(total / k), Math.floor(MAX_RESULTS / k)));
    const query = isString(data.query) ? data.query : s.q.trim();
    document.title = `${query} — vanban`;

    // Count and timing, announced by the live region.
    const timings = data.timings_ms || {};
    const ms = Number.isFinite(timings.total) ? Math.round(timings.total) : null;
    let status;
    if (total === 0 || (results.length === 0 && page === 1)) {
      status = `Không tìm thấy kết quả cho “${query}”` + (hasFilters(s) ? " với bộ lọc đang chọn." : ".");
    } else {
      status = `Tìm thấy ${formatCount(total)} đoạn` + (ms !== null ? ` (${formatCount(ms)} ms)` : "");
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
    renderKindFilter(s);

    const list = clear($("results"));
    list.setAttribute("start", String((page - 1) * k + 1));
    if (results.length === 0) {
      const empty = el("li", { class: "empty" });
      if (total > 0) {
        empty.appendChild(el("p", null, "Trang này không còn kết quả."));
        empty.appendChild(el("p", null, el("a", { href: searchHash(Object.assign({}, s, { page: 1 })) }, "Về trang 1")));
      } else {
        empty.appendChild(el("p", null, "Không tìm thấy kết quả cho ", el("q", null, query), "."));
        const tips = el("ul", { class: "tips" });
        if (hasFilters(s)) {
          tips.appendChild(el("li", null, el("a", { href: searchHash(Object.assign(emptySearch(), { q: s.q })) }, "Bỏ bộ lọc"), " và tìm lại."));
        }
        tips.appendChild(el("li", null, "Thử ít từ hơn, hoặc từ đồng nghĩa, chữ viết tắt (GPMB, KT-XH)."));
        empty.appendChild(tips);
      }
      list.appendChild(empty);
    }
    for (const r of results) list.appendChild(renderResult(r));
    renderPager(page, pages, s);
  }

  function renderResult(r) {
    const c = r.citation || {};
    const docId = String(r.doc_id || "");
    const span = Array.isArray(c.char_span) ? c.char_span : null;
    const chunkId = Number.isInteger(r.chunk_id) ? r.chunk_id : null;
    const href = docHash(docId, span, chunkId);
    const item = el("li", { class: "result" });
    const heading = el("h3", { class: "citation" }, el("a", { href, class: "result-link", "data-doc": docId }, citationLine(c, docId)));
    item.appendChild(heading);
    const kind = kindLabel(r.kind);
    if (isString(c.subject) || kind) {
      item.appendChild(el("p", { class: "subject" }, kind, kind && isString(c.subject) ? " " : null, isString(c.subject) ? c.subject : null));
    }

    const text = typeof r.text === "string" ? r.text : "";
    const spans = cleanSpans(r.highlights, text.length);
    const passage = el("p", { class: "passage", lang: "vi" });
    const cut = renderPassage(passage, text, spans, false);
    item.appendChild(passage);

    const actions = el("p", { class: "result-actions" });
    if (cut) {
      const toggle = el("button", { type: "button", class: "linkish", "aria-expanded": "false" }, "Hiện toàn đoạn");
      toggle.addEventListener("click", () => {
        const open = toggle.getAttribute("aria-expanded") !== "true";
        renderPassage(passage, text, spans, open);
        toggle.setAttribute("aria-expanded", open ? "true" : "false");
        toggle.textContent = open ? "Thu gọn" : "Hiện toàn đoạn";
      });
      actions.appendChild(toggle);
    }
    const page = Array.isArray(c.pages) && Number.isInteger(c.pages[0]) ? c.pages[0] : null;
    const pdf = isPdf(docId);
    actions.appendChild(
      el(
        "a",
        { href: fileUrl(docId, page, pdf), class: "file-link", target: "_blank", rel: "noopener" },
        "Tệp gốc",
        pdf && page ? el("span", { class: "visually-hidden" }, ` (PDF, trang ${page})`) : null
      )
    );
    if (chunkId !== null) {
      if (r.kind === "shortcoming") {
        actions.appendChild(el("a", { href: recurringHash({ q: "", passage: chunkId }), class: "recurring-link" }, "Lặp lại ở văn bản nào?"));
      }
      const panel = el("div", { class: "similar", id: `tuong-tu-${chunkId}`, hidden: true });
      actions.appendChild(similarToggle(chunkId, panel, "Tương tự"));
      item.appendChild(actions);
      item.appendChild(panel);
    } else {
      item.appendChild(actions);
    }
    return item;
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
    if (state.filtersOpen === null) state.filtersOpen = !window.matchMedia("(max-width: 859px)").matches;
    const details = el("details", { class: "filters-details", open: state.filtersOpen });
    details.addEventListener("toggle", () => {
      state.filtersOpen = details.open;
    });
    const activeNames = FACETS.filter((f) => s[f.key]).map((f) => s[f.key]);
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
      let values = Array.isArray(facets[f.key]) ? facets[f.key].filter((v) => v && v.value !== null && v.value !== undefined && v.value !== "") : [];
      values = values.map((v) => ({ value: String(v.value), count: v.count }));
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
        const more = el("button", { type: "button", class: "linkish facet-more", "aria-expanded": "false" }, `Xem thêm ${extra}`);
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
      box.appendChild(el("p", { class: "clear-filters" }, el("a", { href: searchHash(Object.assign(emptySearch(), { q: s.q })), class: "button-link" }, "Xóa bộ lọc")));
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
    const prev = page > 1
      ? el("a", { href: searchHash(Object.assign({}, s, { page: page - 1 })), class: "button-link", rel: "prev" }, "← Trước")
      : el("span", { class: "button-link disabled", "aria-disabled": "true" }, "← Trước");
    const next = page < pages
      ? el("a", { href: searchHash(Object.assign({}, s, { page: page + 1 })), class: "button-link", rel: "next" }, "Sau →")
      : el("span", { class: "button-link disabled", "aria-disabled": "true" }, "Sau →");
    nav.appendChild(prev);
    nav.appendChild(el("span", { class: "pager-current", "aria-current": "page" }, `Trang ${page}`, el("span", { class: "pager-of" }, ` / ${pages}`)));
    nav.appendChild(next);
  }

  // ---------------------------------------------------------------- stats

  let statsLoaded = false;
  function loadStats() {
    if (statsLoaded) return;
    statsLoaded = true;
    getJson(`${API}/stats`)
      .then((data) => {
        const docs = pickNumber(data, ["documents", "docs"]);
        const chunks = pickNumber(data, ["chunks", "passages"]);
        if (docs === null) return;
        let line = `Chỉ mục hiện có ${formatCount(docs)} văn bản`;
        if (chunks !== null) line += `, ${formatCount(chunks)} đoạn`;
        $("stats").textContent = line + ".";
      })
      .catch(() => {
        statsLoaded = false;
      });
  }

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

  // ---------------------------------------------------------------- document view

  function loadDocument(docId) {
    if (!state.docCache.has(docId)) {
      const promise = getJson(`${API}/documents/${encodeURIComponent(docId)}`);
      promise.catch(() => state.docCache.delete(docId));
      state.docCache.set(docId, promise);
    }
    return state.docCache.get(docId);
  }

  const BACK_LABELS = {
    search: "← Quay lại kết quả",
    tasks: "← Quay lại danh sách nhiệm vụ",
    recurring: "← Quay lại tồn tại lặp lại",
  };

  function openDocument(route) {
    abortSearch();
    abortLoad(state.tasksLoad, "tasks-busy");
    abortLoad(state.recurringLoad, "recurring-busy");
    showSection("doc");
    $("doc-error").hidden = true;
    $("doc-content").hidden = true;
    $("doc-loading").hidden = false;
    const origin = state.origin.view === "home" ? "search" : state.origin.view;
    $("back-link").setAttribute("href", state.origin.hash);
    $("back-link").textContent = BACK_LABELS[origin] || BACK_LABELS.search;
    const seq = ++state.docSeq;
    loadDocument(route.docId)
      .then((doc) => {
        if (seq !== state.docSeq || state.view !== "doc") return;
        $("doc-loading").hidden = true;
        renderDocument(doc, route);
      })
      .catch((err) => {
        if (seq !== state.docSeq) return;
        $("doc-loading").hidden = true;
        const box = clear($("doc-error"));
        box.appendChild(el("strong", null, "Lỗi: "));
        box.appendChild(document.createTextNode(err && err.message ? err.message : "Không mở được văn bản."));
        box.hidden = false;
        document.title = "Lỗi — vanban";
        $("back-link").focus();
      });
  }

  function renderDocument(doc, route) {
    const meta = doc.metadata || {};
    const docId = String(doc.doc_id || route.docId);
    const text = typeof doc.text === "string" ? doc.text : "";
    const span = route.span && route.span[1] > route.span[0] && route.span[0] < text.length ? [route.span[0], Math.min(route.span[1], text.length)] : null;
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
      ["Nơi nhận", Array.isArray(meta.recipients) && meta.recipients.length ? meta.recipients.filter(isString).join("; ") : null],
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
      citedBlock.appendChild(el("div", { class: "cited-tools" }, el("p", null, similarToggle(route.chunkId, panel, "Đoạn tương tự")), panel));
    }

    $("doc-content").hidden = false;
    scrollTocToCurrent();
    if (!focusCited(false)) {
      window.scrollTo(0, 0);
      $("doc-title").focus({ preventScroll: true });
    }
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

  const HEADING_KINDS = new Set(["part", "chapter", "division", "roman", "article", "numbered", "letter", "unit", "heading"]);

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
        citedBlock = el("div", { class: "cited-block", id: "cited-block", tabindex: "-1", role: "group", "aria-label": "Đoạn được trích dẫn" });
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
      for (const s of shown) {
        if (Array.isArray(s.span) && s.span[0] <= span[0] && span[0] < s.span[1]) citedSection = s.id; // deepest wins (document order)
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

  /** Escape, the back link: to the list the document was opened from. */
  function backToResults() {
    if (state.origin.depth > 0) history.go(-state.origin.depth);
    else location.hash = state.origin.hash;
  }

  // ---------------------------------------------------------------- views and tabs

  const SECTIONS = { home: "search-view", search: "search-view", doc: "doc-view", tasks: "tasks-view", recurring: "recurring-view" };
  const TABS = { home: "nav-search", search: "nav-search", tasks: "nav-tasks", recurring: "nav-recurring" };

  /** Show one view: its section, the header search box where it belongs, the current tab. */
  function showSection(view) {
    state.view = view;
    const shown = SECTIONS[view];
    for (const id of new Set(Object.values(SECTIONS))) $(id).hidden = id !== shown;
    $("header-search").hidden = view === "tasks" || view === "recurring";
    updateTabs();
  }

  /** Each tab returns to where that view was left; the active one carries aria-current. */
  function updateTabs() {
    $("nav-search").setAttribute("href", state.lastSearchHash);
    $("nav-tasks").setAttribute("href", state.lastTasksHash);
    $("nav-recurring").setAttribute("href", state.lastRecurringHash);
    const current = TABS[state.view] || null;
    for (const id of ["nav-search", "nav-tasks", "nav-recurring"]) {
      if (id === current) $(id).setAttribute("aria-current", "page");
      else $(id).removeAttribute("aria-current");
    }
  }

  function listHash(view) {
    if (view === "search") return state.lastSearchHash;
    if (view === "tasks") return state.lastTasksHash;
    if (view === "recurring") return state.lastRecurringHash;
    return "#/";
  }

  function setViewBusy(busyId, busy) {
    const busyNote = $(busyId);
    busyNote.hidden = !busy;
    const section = busyNote.closest("section");
    if (section) section.setAttribute("aria-busy", busy ? "true" : "false");
  }

  function abortLoad(load, busyId) {
    if (load.controller) load.controller.abort();
    load.controller = null;
    load.pendingKey = null;
    load.seq += 1; // any answer still on its way is now stale
    setViewBusy(busyId, false);
  }

  /** Fetch a list view's data unless that answer is already on screen or on its way. */
  function fetchInto(load, key, url, busyId, onData, onError) {
    if (key === load.shownKey || key === load.pendingKey) return;
    if (load.controller) load.controller.abort();
    const controller = new AbortController();
    const seq = ++load.seq;
    load.controller = controller;
    load.pendingKey = key;
    setViewBusy(busyId, true);
    getJson(url, controller.signal)
      .then((data) => {
        if (seq !== load.seq) return;
        load.shownKey = key;
        onData(data);
      })
      .catch((err) => {
        if ((err && err.name === "AbortError") || seq !== load.seq) return;
        load.shownKey = null;
        onError(err);
      })
      .finally(() => {
        if (seq === load.seq) {
          load.pendingKey = null;
          load.controller = null;
          setViewBusy(busyId, false);
        }
      });
  }

  function renderViewError(view, err) {
    const box = clear($(`${view}-error`));
    box.appendChild(el("strong", null, "Lỗi: "));
    box.appendChild(document.createTextNode(err && err.message ? err.message : "Không tải được dữ liệu."));
    box.hidden = false;
    $(`${view}-status`).textContent = "";
    if (view === "tasks") {
      $("tasks-table-wrap").hidden = true;
      $("tasks-more").hidden = true;
    } else {
      clear($("recurring-groups"));
    }
  }

  /** "…" cut at a word, whitespace squeezed: for short previews. */
  function shortText(text, max) {
    const t = String(text || "").replace(/\s+/g, " ").trim();
    if (t.length <= max) return t;
    const cut = t.lastIndexOf(" ", max - 1);
    return t.slice(0, cut > max / 2 ? cut : max - 1) + "…";
  }

  // ---------------------------------------------------------------- tasks view

  function showTasks(t) {
    if (tasksKey(t, 0) !== tasksKey(state.tasks, 0)) state.tasksLimit = TASKS_PAGE;
    state.tasks = t;
    state.lastTasksHash = tasksHash(t);
    abortSearch();
    abortLoad(state.recurringLoad, "recurring-busy");
    showSection("tasks");
    fillTasksForm(t);
    loadAssignees();
    document.title = (t.q.trim() ? `${t.q.trim()} — ` : "") + "Nhiệm vụ — vanban";
    const p = new URLSearchParams();
    if (t.q.trim()) p.set("q", t.q.trim());
    if (t.unit) p.set("assignee", t.unit);
    if (t.due) p.set("due_to", t.due);
    p.set("k", String(state.tasksLimit));
    fetchInto(
      state.tasksLoad,
      tasksKey(t, state.tasksLimit),
      `${API}/tasks?${p.toString()}`,
      "tasks-busy",
      (data) => renderTasks(data, t),
      (err) => renderViewError("tasks", err)
    );
  }

  function fillTasksForm(t) {
    if ($("tasks-q").value !== t.q) $("tasks-q").value = t.q;
    if ($("tasks-due").value !== t.due) $("tasks-due").value = t.due;
    syncUnitSelect();
  }

  /** The unit list (with task counts) for the select, fetched once. */
  function loadAssignees() {
    if (state.assignees) return;
    state.assignees = getJson(`${API}/assignees`)
      .then((data) => {
        const select = $("tasks-unit");
        for (const extra of select.querySelectorAll("option.unit-extra")) extra.remove();
        const units = Array.isArray(data.assignees) ? data.assignees : [];
        for (const u of units) {
          if (!u || !isString(u.name)) continue;
          const label = Number.isFinite(u.tasks) ? `${u.name} (${formatCount(u.tasks)})` : u.name;
          select.appendChild(el("option", { value: u.name }, label));
        }
        syncUnitSelect();
      })
      .catch(() => {
        state.assignees = null; // try again next time the view opens
      });
  }

  /** Select the route's unit; one the list does not have (yet) gets an option of its own. */
  function syncUnitSelect() {
    const select = $("tasks-unit");
    const unit = state.tasks.unit;
    const options = Array.from(select.options);
    let option = options.find((o) => o.value === unit) || (unit ? options.find((o) => o.value && fold(o.value) === fold(unit)) : null);
    if (!option && unit) {
      option = el("option", { value: unit, class: "unit-extra" }, unit);
      select.appendChild(option);
    }
    select.value = option ? option.value : "";
  }

  /** Read the form; push a history entry (a filter chosen) or replace it (typing). */
  function commitTasks(push) {
    clearTimeout(state.tasksDebounce);
    const t = { q: $("tasks-q").value, unit: $("tasks-unit").value, due: isoDay($("tasks-due").value) };
    const hash = tasksHash(t);
    if (location.hash !== hash) {
      if (push) {
        location.hash = hash; // onRoute shows it
        return;
      }
      history.replaceState(null, "", hash);
    }
    showTasks(t);
  }

  const TASK_COLUMNS = [
    ["unit", "Đơn vị"],
    ["action", "Nhiệm vụ"],
    ["due", "Thời hạn"],
    ["source", "Nguồn"],
  ];

  function renderTasks(data, t) {
    $("tasks-error").hidden = true;
    const tasks = Array.isArray(data.tasks) ? data.tasks.filter((x) => x && typeof x === "object") : [];
    const q = t.q.trim();
    // The server counts every match; an older server only says how many it sent.
    const total = Number.isFinite(data.total) ? Math.max(data.total, tasks.length) : tasks.length;
    const capped = total > tasks.length || (!Number.isFinite(data.total) && tasks.length >= state.tasksLimit);
    let line = !tasks.length ? "Không có nhiệm vụ nào"
      : capped && total > tasks.length ? `${formatCount(tasks.length)} trên ${formatCount(total)} nhiệm vụ`
      : capped ? `${formatCount(tasks.length)} nhiệm vụ đầu tiên` : `${formatCount(tasks.length)} nhiệm vụ`;
    if (q) line += ` liên quan đến “${q}”`;
    if (t.unit) line += `, giao cho ${t.unit}`;
    if (t.due) line += `, thời hạn đến ${formatDate(t.due)}`;
    line += ".";
    if (tasks.length) line += q ? " Xếp theo mức liên quan." : " Xếp theo thời hạn.";
    $("tasks-status").textContent = line;

    const wrap = clear($("tasks-table-wrap"));
    const more = clear($("tasks-more"));
    more.hidden = true;
    if (!tasks.length) {
      wrap.hidden = true;
      return;
    }
    const table = el("table", { class: "tasks-table", id: "tasks-table" });
    table.appendChild(el("caption", { class: "visually-hidden" }, "Nhiệm vụ: đơn vị được giao, nội dung, thời hạn và văn bản nguồn"));
    table.appendChild(
      el("thead", null, el("tr", null, TASK_COLUMNS.map(([key, label]) => el("th", { scope: "col", class: `col-${key}` }, label))))
    );
    const body = el("tbody");
    for (const task of tasks) body.appendChild(renderTaskRow(task, t));
    table.appendChild(body);
    wrap.appendChild(table);
    wrap.hidden = false;

    if (capped && state.tasksLimit < TASKS_MAX) {
      const button = el("button", { type: "button", class: "button-link" }, "Hiện thêm nhiệm vụ");
      button.addEventListener("click", () => {
        state.tasksLimit = TASKS_MAX;
        showTasks(state.tasks);
      });
      more.appendChild(button);
      more.hidden = false;
    }
  }

  function renderTaskRow(task, t) {
    const c = task.citation || {};
    const docId = String(task.doc_id || "");
    const row = el("tr", { class: "task-row" });

    // Unit(s); the one filtered on in bold, a named leader when the units do not name them.
    const units = Array.isArray(task.assignees) ? task.assignees.filter(isString) : [];
    const active = t.unit ? fold(t.unit) : null;
    const unitCell = el("td", { class: "col-unit", "data-label": "Đơn vị" });
    if (units.length) {
      unitCell.appendChild(
        el("ul", { class: "unit-list" }, units.map((u) => el("li", null, active && fold(u) === active ? el("strong", null, u) : u)))
      );
    } else {
      unitCell.appendChild(el("span", { class: "muted" }, "—"));
    }
    if (isString(task.lead_person) && !units.some((u) => fold(u).includes(fold(task.lead_person)))) {
      unitCell.appendChild(el("span", { class: "cell-note" }, `Chỉ đạo: ${task.lead_person}`));
    }
    row.appendChild(unitCell);

    row.appendChild(el("td", { class: "col-action", "data-label": "Nhiệm vụ", lang: "vi" }, isString(task.action) ? task.action : "—"));

    // Deadline in words; the document's own wording underneath (and as a tooltip).
    const due = formatDeadline(task.deadline);
    const dueText = isString(task.deadline_text) ? task.deadline_text : null;
    const dueCell = el("td", { class: "col-due", "data-label": "Thời hạn", title: dueText });
    if (due) {
      dueCell.appendChild(el("time", { class: "due", datetime: datetimeAttr(task.deadline) }, due));
      if (dueText) dueCell.appendChild(el("span", { class: "cell-note due-text" }, dueText));
    } else if (dueText) {
      dueCell.appendChild(el("span", { class: "due" }, dueText));
    } else {
      dueCell.appendChild(el("span", { class: "due due-none", "aria-hidden": "true" }, "—"));
      dueCell.appendChild(el("span", { class: "visually-hidden" }, "Không nêu thời hạn"));
    }
    row.appendChild(dueCell);

    // Source: the citation line, its head a link to the document at the task. The table
    // shows the issuer and the nearest section that is not the unit itself; the whole
    // line is the link's tooltip.
    const head = citationParts(c, docId, false)[0];
    const unitKeys = new Set(units.map(fold));
    const path = Array.isArray(c.heading_path) ? c.heading_path.filter((h) => isString(h) && !unitKeys.has(fold(h))) : [];
    const note = [
      isString(c.issuer) ? c.issuer : null,
      path.length ? "mục " + shortText(path[path.length - 1], 70) : null,
      formatPages(c.pages),
    ].filter(isString);
    const span = Array.isArray(c.char_span) ? c.char_span : null;
    const chunkId = Number.isInteger(task.chunk_id) ? task.chunk_id : null;
    row.appendChild(
      el(
        "td",
        { class: "col-source", "data-label": "Nguồn" },
        el("a", { href: docHash(docId, span, chunkId), class: "doc-link task-source", "data-doc": docId, title: citationLine(c, docId) }, head),
        note.length ? el("span", { class: "cell-note" }, note.join(" — ")) : null
      )
    );
    return row;
  }

  // ---------------------------------------------------------------- recurring shortcomings view

  function showRecurring(r) {
    state.recurring = r;
    state.lastRecurringHash = recurringHash(r);
    abortSearch();
    abortLoad(state.tasksLoad, "tasks-busy");
    showSection("recurring");
    if ($("recurring-q").value !== r.q) $("recurring-q").value = r.q;
    const q = r.q.trim();
    const active = Boolean(q || r.passage);
    $("recurring-intro").hidden = active;
    document.title = (q ? `${q} — ` : "") + "Tồn tại lặp lại — vanban";
    if (!active) {
      abortLoad(state.recurringLoad, "recurring-busy");
      state.recurringLoad.shownKey = null;
      clear($("recurring-groups"));
      $("recurring-status").textContent = "";
      $("recurring-error").hidden = true;
      return;
    }
    const query = q ? new URLSearchParams({ q }).toString() : `passage_id=${r.passage}`;
    fetchInto(
      state.recurringLoad,
      recurringKey(r),
      `${API}/shortcomings/recurring?${query}`,
      "recurring-busy",
      (data) => renderRecurring(data, r),
      (err) => renderViewError("recurring", err)
    );
  }

  function commitRecurring(push) {
    clearTimeout(state.recurringDebounce);
    const r = { q: $("recurring-q").value, passage: null };
    const hash = recurringHash(r);
    if (location.hash !== hash) {
      if (push) {
        location.hash = hash;
        return;
      }
      history.replaceState(null, "", hash);
    }
    showRecurring(r);
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
      const tips = el("div", { class: "empty" }, el("p", null, "Thử cách diễn đạt khác, ít từ hơn, hoặc chữ viết tắt (GPMB)."));
      if (q) {
        tips.appendChild(
          el("p", null, el("a", { href: searchHash(Object.assign(emptySearch(), { q, kind: "shortcoming" })) }, "Tìm “" + q + "” trong mọi tồn tại, hạn chế"))
        );
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
    section.appendChild(el("h3", { class: "recur-label", id: `nhom-${i}` }, isString(g.label) ? g.label : "Tồn tại, hạn chế"));

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
      el("p", { class: "tl-source" }, el("a", { href: docHash(docId, target, chunkId), class: "doc-link tl-link", "data-doc": docId }, citationLine(c, docId, true)))
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

  // ---------------------------------------------------------------- similar passages

  /** A button that shows (and hides) the passages closest in meaning to passage chunkId. */
  function similarToggle(chunkId, panel, label) {
    const button = el("button", { type: "button", class: "linkish similar-toggle", "aria-expanded": "false", "aria-controls": panel.id }, label);
    let loaded = false;
    button.addEventListener("click", () => {
      const open = button.getAttribute("aria-expanded") !== "true";
      button.setAttribute("aria-expanded", open ? "true" : "false");
      panel.hidden = !open;
      if (open && !loaded) {
        loaded = true;
        loadSimilar(chunkId, panel, () => {
          loaded = false;
        });
      }
    });
    return button;
  }

  function loadSimilar(chunkId, panel, onFail) {
    clear(panel).appendChild(el("p", { class: "similar-title", role: "status" }, "Đang tìm đoạn tương tự…"));
    getJson(`${API}/passages/${encodeURIComponent(chunkId)}/similar?k=${SIMILAR_K}`)
      .then((data) => renderSimilar(panel, data))
      .catch((err) => {
        onFail();
        clear(panel).appendChild(
          el("p", { class: "notice notice-error", role: "alert" }, el("strong", null, "Lỗi: "), err && err.message ? err.message : "Không tải được đoạn tương tự.")
        );
      });
  }

  function renderSimilar(panel, data) {
    clear(panel);
    const results = Array.isArray(data.results) ? data.results.filter((r) => r && typeof r === "object") : [];
    panel.appendChild(
      el("p", { class: "similar-title", role: "status" }, results.length ? `${results.length} đoạn gần nghĩa nhất:` : "Không có đoạn tương tự.")
    );
    if (!results.length) return;
    const list = el("ol", { class: "similar-list" });
    for (const r of results) {
      const c = r.citation || {};
      const docId = String(r.doc_id || "");
      const span = Array.isArray(c.char_span) ? c.char_span : null;
      const chunkId = Number.isInteger(r.chunk_id) ? r.chunk_id : null;
      const kind = kindLabel(r.kind);
      list.appendChild(
        el(
          "li",
          { class: "similar-item" },
          el("a", { href: docHash(docId, span, chunkId), class: "doc-link similar-link", "data-doc": docId }, citationLine(c, docId)),
          kind ? el("p", { class: "similar-text", lang: "vi" }, kind, " ", shortText(r.text, 240)) : el("p", { class: "similar-text", lang: "vi" }, shortText(r.text, 240))
        )
      );
    }
    panel.appendChild(list);
  }

  // ---------------------------------------------------------------- routing

  function onRoute() {
    const route = parseRoute(location.hash);
    if (route === null) return;
    const previous = state.view;
    if (route.view === "doc") {
      enterDocument(route, previous);
      return;
    }
    if (route.view === "tasks") {
      const fresh = tasksKey(route.tasks, state.tasksLimit) !== state.tasksLoad.shownKey;
      showTasks(route.tasks);
      if (previous === "doc" && !fresh) restorePosition("tasks");
      return;
    }
    if (route.view === "recurring") {
      const fresh = recurringKey(route.recurring) !== state.recurringLoad.shownKey;
      showRecurring(route.recurring);
      if (previous === "doc" && !fresh) restorePosition("recurring");
      return;
    }
    abortLoad(state.tasksLoad, "tasks-busy");
    abortLoad(state.recurringLoad, "recurring-busy");
    const s = route.search || emptySearch();
    state.search = s;
    if ($("q").value !== s.q) $("q").value = s.q;
    if (route.view === "home") {
      abortSearch();
      state.shownKey = null;
      state.lastSearchHash = "#/";
      showHome();
      return;
    }
    state.lastSearchHash = searchHash(s);
    const fresh = searchKey(s) !== state.shownKey;
    showSearchView();
    startSearch(s);
    if (previous === "doc" && !fresh) restorePosition("search");
  }

  /** Open a document, remembering (in the history entry itself, so that back and forward
   * keep it) which list it was reached from and how many entries back that list is. */
  function enterDocument(route, previous) {
    const saved = history.state && history.state.vanbanOrigin;
    if (saved && typeof saved.hash === "string" && Number.isInteger(saved.depth)) {
      state.origin = saved;
    } else {
      if (LIST_VIEWS.has(previous)) {
        state.origin = { view: previous, hash: listHash(previous), depth: 1 };
      } else if (previous === "doc") {
        state.origin = Object.assign({}, state.origin, { depth: state.origin.depth > 0 ? state.origin.depth + 1 : 0 });
      } else {
        state.origin = { view: "search", hash: state.lastSearchHash, depth: 0 };
      }
      try {
        history.replaceState(Object.assign({}, history.state, { vanbanOrigin: state.origin }), "");
      } catch (e) {
        // a browser that refuses: the back link then sets the hash instead
      }
    }
    openDocument(route);
  }

  /** Back on a list from a document: where it was scrolled, the link that was opened focused. */
  function restorePosition(view) {
    window.scrollTo(0, state.scrolls[view] || 0);
    if (!state.returnTo) return;
    for (const a of $(SECTIONS[view]).querySelectorAll('a[href^="#/van-ban/"]')) {
      if (a.getAttribute("href") !== state.returnTo) continue;
      a.focus({ preventScroll: true });
      if (document.activeElement === a) break; // a link in a closed panel cannot take the focus
    }
  }

  // ---------------------------------------------------------------- events

  function isEditable(target) {
    if (!target || !(target instanceof Element)) return false;
    return target.isContentEditable || /^(input|textarea|select)$/i.test(target.tagName);
  }

  function fitPlaceholder(input) {
    const full = input.getAttribute("placeholder");
    const narrow = window.matchMedia("(max-width: 480px)");
    const apply = () => input.setAttribute("placeholder", narrow.matches ? "Từ khóa: bão số 3, GPMB…" : full);
    apply();
    narrow.addEventListener("change", apply);
  }

  function init() {
    const input = $("q");
    fitPlaceholder(input);
    input.addEventListener("input", () => {
      clearTimeout(state.debounce);
      state.debounce = setTimeout(commitQuery, DEBOUNCE_MS);
    });
    $("search-form").addEventListener("submit", (e) => {
      e.preventDefault();
      commitQuery();
    });
    // A document opened from a list: remember the link and the scroll to come back to.
    $("main").addEventListener("click", (e) => {
      const link = e.target instanceof Element ? e.target.closest('a[href^="#/van-ban/"]') : null;
      if (link && LIST_VIEWS.has(state.view)) {
        state.returnTo = link.getAttribute("href");
        state.scrolls[state.view] = window.scrollY;
      }
    });

    // Tasks: typing waits for a pause; a unit or a date applies at once.
    $("tasks-q").addEventListener("input", () => {
      clearTimeout(state.tasksDebounce);
      state.tasksDebounce = setTimeout(() => commitTasks(false), DEBOUNCE_MS);
    });
    $("tasks-form").addEventListener("submit", (e) => {
      e.preventDefault();
      commitTasks(true);
    });
    $("tasks-unit").addEventListener("change", () => commitTasks(true));
    $("tasks-due").addEventListener("change", () => commitTasks(true));

    // Recurring shortcomings: the same.
    $("recurring-q").addEventListener("input", () => {
      clearTimeout(state.recurringDebounce);
      state.recurringDebounce = setTimeout(() => commitRecurring(false), DEBOUNCE_MS);
    });
    $("recurring-form").addEventListener("submit", (e) => {
      e.preventDefault();
      commitRecurring(true);
    });

    $("back-link").addEventListener("click", (e) => {
      if (e.button !== 0 || e.ctrlKey || e.metaKey || e.shiftKey) return;
      e.preventDefault();
      backToResults();
    });
    $("skip-link").addEventListener("click", (e) => {
      e.preventDefault();
      $("main").focus();
    });
    document.addEventListener("keydown", (e) => {
      if (e.defaultPrevented || e.ctrlKey || e.metaKey || e.altKey) return;
      if (e.key === "/" && !isEditable(e.target)) {
        e.preventDefault();
        const box = state.view === "tasks" ? $("tasks-q") : state.view === "recurring" ? $("recurring-q") : input;
        box.focus();
        box.select();
      } else if (e.key === "Escape" && state.view === "doc" && e.target !== input) {
        e.preventDefault();
        backToResults();
      }
    });
    window.addEventListener("hashchange", onRoute);
    onRoute();
    if (state.view === null) showHome();
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", init);
  else init();
})();
