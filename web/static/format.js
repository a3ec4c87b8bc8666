/*
 * Text for people: dates, deadlines, counts, pages, shortened headings and previews.
 */

export function isString(v) {
  return typeof v === "string" && v.length > 0;
}

/** "2024-07-19" -> "19/7/2024"; "2024-07" -> "7/2024"; anything else unchanged. */
export function formatDate(value) {
  if (!isString(value)) return null;
  let m = /^(\d{4})-(\d{1,2})-(\d{1,2})/.exec(value);
  if (m) return `${Number(m[3])}/${Number(m[2])}/${m[1]}`;
  m = /^(\d{4})-(\d{1,2})$/.exec(value);
  if (m) return `${Number(m[2])}/${m[1]}`;
  return value;
}

/** [3] -> "trang 3"; [3, 4] -> "trang 3–4". */
export function formatPages(pages) {
  if (!Array.isArray(pages) || pages.length === 0 || pages[0] == null) return null;
  const first = pages[0];
  const last = pages.length > 1 && pages[1] != null ? pages[1] : first;
  return last !== first ? `trang ${first}–${last}` : `trang ${first}`;
}

export function formatCount(n) {
  return Number(n || 0).toLocaleString("vi-VN");
}

const ROMAN_QUARTERS = ["I", "II", "III", "IV"];

/** A task deadline as the API normalises it, in words:
 * "2024-08-15" -> "15/8/2024", "2024-09" -> "tháng 9/2024", "2024-Q3" -> "Quý III/2024",
 * "2024-H2" -> "6 tháng cuối năm 2024", "2024" -> "năm 2024". */
export function formatDeadline(value) {
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
export function datetimeAttr(value) {
  return isString(value) && /^\d{4}(-\d{2}(-\d{2})?)?$/.test(value) ? value : null;
}

/** "2024-10-31" as typed in a date field; anything else -> "". */
export function isoDay(value) {
  return /^\d{4}-\d{2}-\d{2}$/.test(value || "") ? value : "";
}

/** Lower case, no diacritics: "Phòng Nông nghiệp" and "phong nong nghiep" compare equal. */
export function fold(s) {
  return String(s || "")
    .normalize("NFD")
    .replace(/[\u0300-\u036f]/g, "")
    .replace(/[đĐ]/g, "d")
    .toLowerCase()
    .replace(/\s+/g, " ")
    .trim();
}

/** A heading as shown in a citation or the table of contents; overly long ones are cut at a word. */
export function shortHeading(heading) {
  const h = heading.replace(/\s+/g, " ").trim();
  if (h.length <= 90) return h;
  const cut = h.lastIndexOf(" ", 85);
  return h.slice(0, cut > 40 ? cut : 85) + "…";
}

/** "…" cut at a word, whitespace squeezed: for short previews. */
export function shortText(text, max) {
  const t = String(text || "").replace(/\s+/g, " ").trim();
  if (t.length <= max) return t;
  const cut = t.lastIndexOf(" ", max - 1);
  return t.slice(0, cut > max / 2 ? cut : max - 1) + "…";
}
