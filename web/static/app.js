/*
 * vanban search page: plain JavaScript, no framework, no build step.
 *
 * Routes live in the URL hash so that searches and documents are linkable and
 * the back button works:
 *   #/                                     start page
 *   #/tim-kiem?q=…&trang=2&loai=…&co-quan=…&nam=2024   a search
 *   #/van-ban/<encoded doc_id>?doan=<start>-<end>       a document, cited passage marked
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

  function docHash(docId, span) {
    let hash = "#" + DOC_ROUTE + encodeURIComponent(docId);
    if (Array.isArray(span) && span.length === 2 && Number.isFinite(span[0]) && Number.isFinite(span[1])) {
      hash += `?doan=${span[0]}-${span[1]}`;
    }
    return hash;
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
  function citationLine(citation, docId) {
    const c = citation || {};
    let head = docLabel(c, docId);
    if (isString(c.issued_date)) head += ` ngày ${formatDate(c.issued_date)}`;
    else if (isString(c.event_date)) head += ` (họp ngày ${formatDate(c.event_date)})`;
    const parts = [head];
    if (isString(c.issuer)) parts.push(c.issuer);
    const path = Array.isArray(c.heading_path) ? c.heading_path.filter(isString) : [];
    if (path.length) parts.push("mục " + path.map(shortHeading).join(" › "));
    const pages = formatPages(c.pages);
    if (pages) parts.push(pages);
    return parts.join(" — ");
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
    return { q: "", page: 1, doc_type: "", issuer: "", year: "" };
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
      return { view: s.q.trim() ? "search" : "home", search: s };
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
      return { view: "doc", docId, span };
    }
    return null; // not one of ours (e.g. the skip link): leave the page as it is
  }

  function searchHash(s) {
    const params = new URLSearchParams();
    params.set("q", s.q);
    if (s.page > 1) params.set("trang", String(s.page));
    for (const f of FACETS) if (s[f.key]) params.set(f.param, s[f.key]);
    return "#" + SEARCH_ROUTE + "?" + params.toString();
  }

  function searchKey(s) {
    return JSON.stringify([s.q.trim(), s.page, s.doc_type, s.issuer, s.year]);
  }

  function hasFilters(s) {
    return FACETS.some((f) => s[f.key]);
  }

  // ---------------------------------------------------------------- state

  const state = {
    view: null, // "home" | "search" | "doc"
    search: emptySearch(),
    shownKey: null, // the search whose results are on screen
    pendingKey: null, // the search in flight
    controller: null,
    seq: 0,
    debounce: null,
    lastSearchHash: "#/",
    docFromSearch: false, // the document was opened from the results: Escape/back = history.back()
    searchScroll: 0,
    returnTo: null, // href of the result link to focus when coming back
    docSeq: 0,
    docCache: new Map(),
    filtersOpen: null, // the filter panel's open state, kept across searches
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
    state.view = "home";
    $("doc-view").hidden = true;
    $("search-view").hidden = false;
    $("intro").hidden = false;
    $("search-layout").hidden = true;
    $("error").hidden = true;
    $("dense-note").hidden = true;
    $("status").textContent = "";
    document.title = "vanban — Tìm kiếm văn bản";
    loadStats();
  }

  function showSearchView() {
    state.view = "search";
    $("doc-view").hidden = true;
    $("search-view").hidden = false;
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
    const href = docHash(docId, span);
    const item = el("li", { class: "result" });
    const heading = el("h3", { class: "citation" }, el("a", { href, class: "result-link", "data-doc": docId }, citationLine(c, docId)));
    item.appendChild(heading);
    if (isString(c.subject)) item.appendChild(el("p", { class: "subject" }, c.subject));

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
    item.appendChild(actions);
    return item;
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

  function openDocument(route) {
    if (state.view === "search") state.searchScroll = window.scrollY;
    state.view = "doc";
    abortSearch();
    $("search-view").hidden = true;
    $("doc-view").hidden = false;
    $("doc-error").hidden = true;
    $("doc-content").hidden = true;
    $("doc-loading").hidden = false;
    $("back-link").setAttribute("href", state.lastSearchHash);
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

  /** Escape, the back link: to the results the document was opened from. */
  function backToResults() {
    if (state.docFromSearch) history.back();
    else location.hash = state.lastSearchHash;
  }

  // ---------------------------------------------------------------- routing

  function onRoute() {
    const route = parseRoute(location.hash);
    if (route === null) return;
    const previous = state.view;
    if (route.view === "doc") {
      state.docFromSearch = previous === "search" || (previous === "doc" && state.docFromSearch);
      openDocument(route);
      return;
    }
    state.docFromSearch = false;
    const s = route.search || emptySearch();
    state.search = s;
    if ($("q").value !== s.q) $("q").value = s.q;
    if (route.view === "home") {
      abortSearch();
      state.shownKey = null;
      showHome();
      return;
    }
    state.lastSearchHash = searchHash(s);
    const fresh = searchKey(s) !== state.shownKey;
    showSearchView();
    startSearch(s);
    if (previous === "doc" && !fresh) restoreSearchPosition();
  }

  function restoreSearchPosition() {
    window.scrollTo(0, state.searchScroll);
    if (state.returnTo) {
      for (const a of document.querySelectorAll("#results a.result-link")) {
        if (a.getAttribute("href") === state.returnTo) {
          a.focus({ preventScroll: true });
          break;
        }
      }
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
    $("results").addEventListener("click", (e) => {
      const link = e.target instanceof Element ? e.target.closest("a.result-link") : null;
      if (link) {
        state.returnTo = link.getAttribute("href");
        state.searchScroll = window.scrollY;
      }
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
        input.focus();
        input.select();
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
