/*
 * Routes live in the URL hash so that searches and documents are linkable and the
 * back button works:
 *   #/                                     start page
 *   #/tim-kiem?q=…&trang=2&loai=…&co-quan=…&nam=2024&loai-doan=task&hieu-luc=con&theo=doan   a search
 *   #/van-ban/<encoded doc_id>?doan=<start>-<end>&ma-doan=<chunk id>  a document, cited passage marked
 *   #/nhiem-vu?q=…&don-vi=…&han-truoc=2024-10-31       tasks: unit, action, deadline, source
 *   #/ton-tai?q=…   (or ?ma-doan=<chunk id>)           recurring shortcomings as timelines
 * This module reads them (parseRoute) and writes them (the *Hash functions).
 */

import { FACETS } from "./facets.js";
import { isoDay } from "./format.js";
import { isKind } from "./kinds.js";

const SEARCH_ROUTE = "/tim-kiem";
const DOC_ROUTE = "/van-ban/";
const TASKS_ROUTE = "/nhiem-vu";
const RECURRING_ROUTE = "/ton-tai";

export const HOME_HASH = "#/";
export const TASKS_HASH = "#" + TASKS_ROUTE;
export const RECURRING_HASH = "#" + RECURRING_ROUTE;

/**
 * Results come by document unless the route asks for passages ("theo=doan"): staff look
 * for documents, and a notice with twenty matching passages should not fill a page and
 * push every other document out of it. A document's card still shows its best passages,
 * so by document loses little of what the passages said.
 */
export const BY_DOCUMENT = "document";
export const BY_PASSAGE = "passage";

/** A search: the query, the page, the filters under the API's names (status: "current"
 * for only the documents still in force), and the grouping (document, passage). */
export function emptySearch() {
  return { q: "", page: 1, doc_type: "", issuer: "", year: "", kind: "", status: "", group: BY_DOCUMENT };
}

export function emptyTasks() {
  return { q: "", unit: "", due: "" };
}

/** Recurring shortcomings about a topic (q), or like one passage (its chunk id). */
export function emptyRecurring() {
  return { q: "", passage: null };
}

/**
 * The route of a hash: { view: "home" | "search", search }, { view: "tasks", tasks },
 * { view: "recurring", recurring }, { view: "doc", docId, span, chunkId }; null for a
 * hash that is not one of ours (the skip link's, say).
 */
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
    s.kind = isKind(kind) ? kind : "";
    s.status = params.get("hieu-luc") === "con" ? "current" : "";
    s.group = params.get("theo") === "doan" ? BY_PASSAGE : BY_DOCUMENT;
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
  return null;
}

export function searchHash(s) {
  const params = new URLSearchParams();
  params.set("q", s.q);
  if (s.page > 1) params.set("trang", String(s.page));
  for (const f of FACETS) if (s[f.key]) params.set(f.param, s[f.key]);
  if (s.kind) params.set("loai-doan", s.kind);
  if (s.status === "current") params.set("hieu-luc", "con");
  if (s.group === BY_PASSAGE) params.set("theo", "doan");
  return "#" + SEARCH_ROUTE + "?" + params.toString();
}

export function tasksHash(t) {
  const params = new URLSearchParams();
  if (t.q.trim()) params.set("q", t.q);
  if (t.unit) params.set("don-vi", t.unit);
  if (t.due) params.set("han-truoc", t.due);
  const query = params.toString();
  return TASKS_HASH + (query ? "?" + query : "");
}

export function recurringHash(r) {
  if (r.q.trim()) return RECURRING_HASH + "?" + new URLSearchParams({ q: r.q }).toString();
  if (r.passage) return RECURRING_HASH + "?ma-doan=" + r.passage;
  return RECURRING_HASH;
}

/** Link to a document; the cited span is marked there, and the passage's id lets the
 * document view offer "Đoạn tương tự". */
export function docHash(docId, span, chunkId) {
  let hash = "#" + DOC_ROUTE + encodeURIComponent(docId);
  if (Array.isArray(span) && span.length === 2 && Number.isFinite(span[0]) && Number.isFinite(span[1])) {
    hash += `?doan=${span[0]}-${span[1]}`;
    if (Number.isInteger(chunkId) && chunkId >= 0) hash += `&ma-doan=${chunkId}`;
  }
  return hash;
}

/** The selector of the links to documents (for the click that opens one from a list). */
export const DOC_LINKS = 'a[href^="#' + DOC_ROUTE + '"]';

/** Call handler(route) now and whenever the hash changes; hashes that are not routes leave
 * the page as it is. */
/** Put ``hash`` in the address: a new history entry when ``push`` (the router then shows
 * it: returns true), else in place of the current one (the caller shows it: false). */
export function setHash(hash, push) {
  if (location.hash === hash) return false;
  if (push) {
    location.hash = hash;
    return true;
  }
  history.replaceState(null, "", hash);
  return false;
}

export function startRouter(handler) {
  const run = () => {
    const route = parseRoute(location.hash);
    if (route !== null) handler(route);
  };
  window.addEventListener("hashchange", run);
  run();
}
