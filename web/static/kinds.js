/*
 * The kinds of passage the API tells apart, and their Vietnamese labels: the one
 * definition, used by the filter chips, the labels on results and the route check.
 */

import { el } from "./dom.js";
import { isString } from "./format.js";

/** API value -> Vietnamese label, in the order of the filter chips. */
export const KINDS = [
  ["result", "Kết quả"],
  ["shortcoming", "Tồn tại, hạn chế"],
  ["cause", "Nguyên nhân"],
  ["task", "Nhiệm vụ"],
  ["proposal", "Kiến nghị, đề xuất"],
  ["other", "Khác"],
];

const LABELS = new Map(KINDS);

export function isKind(value) {
  return LABELS.has(value);
}

/** The label shown before a passage, or null for a passage of no known kind. */
export function kindBadge(kind) {
  if (!isString(kind) || !LABELS.has(kind)) return null;
  return el("span", { class: `kind-label kind-${kind}`, "data-kind": kind }, LABELS.get(kind));
}
