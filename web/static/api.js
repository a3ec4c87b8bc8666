/*
 * The one way the page talks to the API: JSON over fetch, the API's error body
 * ({"error": {"code", "message"}}, message in Vietnamese) turned into an ApiError,
 * and the URLs of the endpoints the page uses. Requests carry the session cookie
 * (same origin); an answer saying that the reader must sign in (again) is also told
 * to whoever listens (onSignInNeeded), whichever view asked.
 */

import { isString } from "./format.js";

const API = "/api";

export const PAGE_SIZE = 10; // results per page of a search
export const MAX_RESULTS = 200; // the API answers pages within its first 200 passages

/** The 401 codes that mean "sign in (again)", as opposed to a wrong password. */
export const SIGN_IN_CODES = new Set(["session_expired", "login_required"]);

export class ApiError extends Error {
  constructor(message, code, status, retryAfter = null) {
    super(message);
    this.code = code;
    this.status = status;
    this.retryAfter = retryAfter; // seconds to wait (Retry-After of a 429), or null
  }
}

function isAbort(err) {
  return Boolean(err) && err.name === "AbortError";
}

const signInListeners = [];

/** listener(apiError) whenever an answer is 401 session_expired or login_required. */
export function onSignInNeeded(listener) {
  signInListeners.push(listener);
}

/** Retry-After in seconds; an HTTP date is not sent by this API, so only digits count. */
function retryAfterOf(response) {
  const value = (response.headers.get("Retry-After") || "").trim();
  return /^\d+$/.test(value) ? Number(value) : null;
}

/**
 * Send a request and read its JSON answer. body, when given, goes as JSON (never in the
 * URL). Rejects with an ApiError whose message can be shown as it is, or with the
 * AbortError of a cancelled request (not an error to show).
 */
export async function requestJson(url, { method = "GET", body, signal } = {}) {
  const headers = { Accept: "application/json" };
  // Answers depend on who is signed in: none is kept for a later reader.
  const init = { method, signal, headers, credentials: "same-origin", cache: "no-store" };
  if (body !== undefined) {
    headers["Content-Type"] = "application/json";
    init.body = JSON.stringify(body);
  }
  let response;
  try {
    response = await fetch(url, init);
  } catch (err) {
    if (isAbort(err)) throw err;
    throw new ApiError("Không kết nối được với máy chủ tìm kiếm. Vui lòng thử lại.", "network", 0);
  }
  let answer = null;
  try {
    answer = await response.json();
  } catch (e) {
    if (isAbort(e)) throw e;
    answer = null; // not JSON: a proxy's error page, say
  }
  if (!response.ok || answer === null) {
    const apiErr = answer && answer.error;
    const message =
      apiErr && isString(apiErr.message) ? apiErr.message : `Máy chủ trả lỗi ${response.status}. Vui lòng thử lại.`;
    const err = new ApiError(message, apiErr && apiErr.code, response.status, retryAfterOf(response));
    if (err.status === 401 && SIGN_IN_CODES.has(err.code)) for (const listener of signInListeners) listener(err);
    throw err;
  }
  return answer;
}

/** GET url as JSON (see requestJson). */
export function getJson(url, signal) {
  return requestJson(url, { signal });
}

/**
 * Requests of which only the latest counts, as for a list that follows what is typed:
 * a new one cancels the one in flight, an older answer arriving late (a server that
 * ignores the cancel) is dropped, and the answer already on screen is not asked again.
 */
export class LatestRequest {
  /** onBusy(true | false): a request is in flight, or no longer. */
  constructor(onBusy) {
    this.onBusy = onBusy;
    this.shownKey = null; // the request whose answer is on screen
    this.pendingKey = null; // the request in flight
    this.controller = null;
    this.seq = 0;
  }

  /** Fetch url for key unless that answer is on screen or on its way; onError gets ApiErrors only. */
  fetch(key, url, onData, onError) {
    if (key === this.shownKey || key === this.pendingKey) return;
    if (this.controller) this.controller.abort();
    const controller = new AbortController();
    const seq = ++this.seq;
    this.controller = controller;
    this.pendingKey = key;
    this.onBusy(true);
    getJson(url, controller.signal)
      .then((data) => {
        if (seq !== this.seq) return; // an older answer arriving late
        this.shownKey = key;
        onData(data);
      })
      .catch((err) => {
        if (isAbort(err) || seq !== this.seq) return;
        this.shownKey = null;
        onError(err);
      })
      .finally(() => {
        if (seq === this.seq) {
          this.pendingKey = null;
          this.controller = null;
          this.onBusy(false);
        }
      });
  }

  /** Forget the answer on screen too: the next fetch asks again (the reader changed). */
  forget() {
    this.abort();
    this.shownKey = null;
  }

  /** Cancel the request in flight; any answer still on its way is then stale. */
  abort() {
    if (this.controller) this.controller.abort();
    this.controller = null;
    this.pendingKey = null;
    this.seq += 1;
    this.onBusy(false);
  }
}

// ---------------------------------------------------------------- endpoints

/**
 * A page of search results: passages, or documents with their best passages (group).
 * The search's state uses the API's filter names (issuer, doc_type, year, kind) and
 * this is the one place that puts them in a request; a year is asked as a date range
 * (date_from, date_to), "only documents in force" as status=current. The API's other
 * filters (type_code, number) are not offered by the page.
 */
export function searchUrl(s) {
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
  if (s.status) p.set("status", s.status);
  p.set("mode", "hybrid");
  p.set("group", s.group === "passage" ? "passage" : "document");
  return `${API}/search?${p.toString()}`;
}

/** Tasks about a topic, for a unit, due by a day: at most limit of them. */
export function tasksUrl(t, limit) {
  const p = new URLSearchParams();
  if (t.q.trim()) p.set("q", t.q.trim());
  if (t.unit) p.set("assignee", t.unit);
  if (t.due) p.set("due_to", t.due);
  p.set("k", String(limit));
  return `${API}/tasks?${p.toString()}`;
}

/** Recurring shortcomings about a topic, or like one passage. */
export function recurringUrl(r) {
  const q = r.q.trim();
  const query = q ? new URLSearchParams({ q }).toString() : `passage_id=${r.passage}`;
  return `${API}/shortcomings/recurring?${query}`;
}

export function similarUrl(chunkId, k) {
  return `${API}/passages/${encodeURIComponent(chunkId)}/similar?k=${k}`;
}

export function documentUrl(docId) {
  return `${API}/documents/${encodeURIComponent(docId)}`;
}

/** A document's links both ways (outgoing, incoming) and its status. */
export function relationsUrl(docId) {
  return `${API}/documents/${encodeURIComponent(docId)}/relations`;
}

/** URL of the original file; a PDF opens at the cited page. Built here rather than taken
 * from the API's file_url, so that the doc_id is always percent-encoded. */
export function fileUrl(docId, page, pdf) {
  let url = `${API}/documents/${encodeURIComponent(docId)}/file`;
  if (pdf && Number.isInteger(page) && page > 0) url += `#page=${page}`;
  return url;
}

export function isPdf(docId, format) {
  return format === "pdf" || /\.pdf$/i.test(docId || "");
}

export const STATS_URL = `${API}/stats`;
/** Who is asking (GET), sign in (POST {name, password}), sign out (DELETE). */
export const SESSION_URL = `${API}/session`;
export const ASSIGNEES_URL = `${API}/assignees`;
