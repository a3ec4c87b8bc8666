/*
 * How documents point at each other, in Vietnamese: the one place for the labels of
 * the API's relations (amends, replaces, …), of the status a later document gives
 * (amended_by, replaced_by, …), and of a result's match ("number", "cites:<relation>");
 * and the badges that show them on results and on a document.
 */

import { el } from "./dom.js";
import { formatDate, isString } from "./format.js";
import { docHash } from "./router.js";

/**
 * API relation -> labels, in the order a document's links are listed:
 *   verb     what the citing document does ("Văn bản này sửa đổi, bổ sung …")
 *   passive  what is done to the cited one ("Được sửa đổi, bổ sung bởi …")
 *   status   the status the cited document gets from it, if any
 */
export const RELATIONS = [
  ["amends", { verb: "Sửa đổi, bổ sung", passive: "Được sửa đổi, bổ sung bởi", status: "amended_by" }],
  ["replaces", { verb: "Thay thế", passive: "Bị thay thế bởi", status: "replaced_by" }],
  ["repeals", { verb: "Bãi bỏ", passive: "Bị bãi bỏ bởi", status: "repealed_by" }],
  ["corrects", { verb: "Đính chính", passive: "Được đính chính bởi", status: "corrected_by" }],
  ["consolidates", { verb: "Hợp nhất", passive: "Được hợp nhất bởi", status: null }],
  ["guides", { verb: "Hướng dẫn", passive: "Được hướng dẫn bởi", status: null }],
  ["implements", { verb: "Thực hiện", passive: "Được thực hiện bởi", status: null }],
  ["basis", { verb: "Căn cứ", passive: "Là căn cứ của", status: null }],
  ["cites", { verb: "Dẫn chiếu", passive: "Được dẫn chiếu bởi", status: null }],
];

const BY_RELATION = new Map(RELATIONS);
const BY_STATUS = new Map(RELATIONS.filter(([, r]) => r.status).map(([, r]) => [r.status, r]));
// Statuses that mean the document no longer applies: shown louder than an amendment.
const SUPERSEDED = new Set(["replaced_by", "repealed_by"]);

function lower(label) {
  return label.charAt(0).toLowerCase() + label.slice(1);
}

/** "Văn bản này sửa đổi, bổ sung": the heading over a document's outgoing links of one relation. */
export function outgoingLabel(relation) {
  const r = BY_RELATION.get(relation) || BY_RELATION.get("cites");
  return `Văn bản này ${lower(r.verb)}`;
}

/** "Được sửa đổi, bổ sung bởi": the heading over its incoming links of one relation. */
export function incomingLabel(relation) {
  return (BY_RELATION.get(relation) || BY_RELATION.get("cites")).passive;
}

/** The order of a relation in the lists (unknown relations last). */
export function relationRank(relation) {
  const i = RELATIONS.findIndex(([name]) => name === relation);
  return i >= 0 ? i : RELATIONS.length;
}

/**
 * The badge for why a result came up, or null:
 *   "number"            it bears the number the query asked for: "Đúng số văn bản"
 *   "cites:<relation>"  it cites that document: "Sửa đổi, bổ sung văn bản được tìm", …
 */
export function matchBadge(match) {
  if (!isString(match)) return null;
  if (match === "number") {
    return el("span", { class: "badge badge-match", "data-match": match }, "Đúng số văn bản");
  }
  const m = /^cites:(.+)$/.exec(match);
  if (!m) return null;
  const r = BY_RELATION.get(m[1]) || BY_RELATION.get("cites");
  return el(
    "span",
    { class: "badge badge-cites", "data-match": match, title: "Văn bản này dẫn đến văn bản mang số được tìm" },
    `${r.verb} văn bản được tìm`
  );
}

/** "Bị thay thế bởi 45/2024/TT-BTC ngày 1/7/2024" for one status entry. */
export function statusLabel(st) {
  const r = BY_STATUS.get(st.status);
  const by = r ? r.passive : "Có văn bản sau tác động:";
  const what = isString(st.number) ? st.number : String(st.doc_id || "");
  const date = isString(st.issued_date) ? ` ngày ${formatDate(st.issued_date)}` : "";
  return `${by} ${what}${date}`;
}

/** The status entries, newest first, as badges that link to the later document. */
export function statusBadges(status) {
  if (!Array.isArray(status)) return [];
  const entries = status.filter((st) => st && typeof st === "object" && isString(st.doc_id));
  // Newest first; the API sends them so, but a badge list must not depend on it.
  const date = (st) => (isString(st.issued_date) ? st.issued_date : "");
  entries.sort((a, b) => (date(a) < date(b) ? 1 : date(a) > date(b) ? -1 : 0));
  return entries.map((st) =>
    el(
      "a",
      {
        href: docHash(st.doc_id),
        class: `badge badge-status ${SUPERSEDED.has(st.status) ? "badge-superseded" : "badge-changed"}`,
        "data-status": isString(st.status) ? st.status : null,
        "data-doc": st.doc_id,
      },
      statusLabel(st)
    )
  );
}

/** A line of badges (match first, then status), or null when there is none. */
export function badgeLine(match, status, className) {
  const badges = [matchBadge(match), ...statusBadges(status)].filter(Boolean);
  return badges.length ? el("p", { class: className || "badges" }, badges) : null;
}
