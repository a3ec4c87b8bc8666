/*
 * The citation line: "Thông báo số 236/TB-UBND ngày 8/10/2024 — UBND huyện Sông Mây —
 * mục … — trang N", built from the citation fields the API sends with every passage.
 * Every view that cites a passage or a document takes it from citationParts.
 */

import { formatDate, formatPages, isString, shortHeading } from "./format.js";

/** Document type and number: "Thông báo số 163/TB-UBND"; just the type when there is no number. */
export function docLabel(meta, fallback) {
  const type = isString(meta.doc_type) ? meta.doc_type : null;
  const number = isString(meta.number) ? meta.number : null;
  if (type && number) return `${type} số ${number}`;
  if (type) return type;
  if (number) return `Văn bản số ${number}`;
  return isString(meta.title) ? meta.title : fallback || "Văn bản";
}

/**
 * The citation line's parts, null where the citation lacks the field:
 *   head     "Thông báo số 163/TB-UBND ngày 19/7/2024" (the meeting date when there is no issue date)
 *   issuer   "UBND huyện …"
 *   section  "mục 4.2 › …"
 *   pages    "trang 3" or "trang 3–4", with "(bản quét, OCR 94%)" when OCR read it from a scan
 * Options: date: false leaves the date out of the head (a timeline shows it apart);
 * headings(path) picks and shortens the headings to name (by default all of them).
 */
export function citationParts(citation, docId, { date = true, headings = null } = {}) {
  const c = citation || {};
  let head = docLabel(c, docId);
  if (date) {
    if (isString(c.issued_date)) head += ` ngày ${formatDate(c.issued_date)}`;
    else if (isString(c.event_date)) head += ` (họp ngày ${formatDate(c.event_date)})`;
  }
  const path = Array.isArray(c.heading_path) ? c.heading_path.filter(isString) : [];
  const shown = headings ? headings(path) : path.map(shortHeading);
  return {
    head,
    issuer: isString(c.issuer) ? c.issuer : null,
    section: shown.length ? "mục " + shown.join(" › ") : null,
    pages: [formatPages(c.pages), ocrMark(c)].filter(isString).join(" ") || null,
  };
}

/** A passage read from a scan says so, with how sure the OCR was: "(bản quét, OCR 94%)". */
function ocrMark(c) {
  if (c.ocr !== true) return null;
  const sure = typeof c.ocr_confidence === "number" ? ` ${Math.round(c.ocr_confidence)}%` : "";
  return `(bản quét, OCR${sure})`;
}

/** The parts that are there, joined:
 * "Thông báo số 163/TB-UBND ngày 19/7/2024 — UBND huyện … — mục 4.2 › … — trang 3" */
export function citationLine(citation, docId, options) {
  const p = citationParts(citation, docId, options);
  return [p.head, p.issuer, p.section, p.pages].filter(isString).join(" — ");
}

/** The document's part of the line: "Thông báo số 163/TB-UBND ngày 19/7/2024 — UBND huyện …". */
export function documentLine(citation, docId) {
  const p = citationParts(citation, docId);
  return [p.head, p.issuer].filter(isString).join(" — ");
}

/** The passage's part of the line: "mục 4.2 › … — trang 3"; null when it names neither. */
export function placeLine(citation, docId, options) {
  const p = citationParts(citation, docId, options);
  const place = [p.section, p.pages].filter(isString).join(" — ");
  return place || null;
}
