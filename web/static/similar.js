/*
 * "More like this": the passages closest in meaning to one passage, in a panel that
 * a button opens and closes (under a search result, and under the cited passage).
 */

import { getJson, similarUrl } from "./api.js";
import { citationLine } from "./citation.js";
import { clear, el } from "./dom.js";
import { shortText } from "./format.js";
import { kindBadge } from "./kinds.js";
import { docHash } from "./router.js";

const SIMILAR_K = 5;

/** A button that shows (and hides) the passages closest in meaning to passage chunkId. */
export function similarToggle(chunkId, panel, label) {
  const button = el(
    "button",
    { type: "button", class: "linkish similar-toggle", "aria-expanded": "false", "aria-controls": panel.id },
    label
  );
  let loaded = false;
  button.addEventListener("click", () => {
    const open = button.getAttribute("aria-expanded") !== "true";
    button.setAttribute("aria-expanded", open ? "true" : "false");
    panel.hidden = !open;
    if (open && !loaded) {
      loaded = true;
      loadSimilar(chunkId, panel, () => {
        loaded = false; // ask again on the next open
      });
    }
  });
  return button;
}

function loadSimilar(chunkId, panel, onFail) {
  clear(panel).appendChild(el("p", { class: "similar-title", role: "status" }, "Đang tìm đoạn tương tự…"));
  getJson(similarUrl(chunkId, SIMILAR_K))
    .then((data) => renderSimilar(panel, data))
    .catch((err) => {
      onFail();
      const message = err && err.message ? err.message : "Không tải được đoạn tương tự.";
      const notice = el("p", { class: "notice notice-error", role: "alert" }, el("strong", null, "Lỗi: "), message);
      clear(panel).appendChild(notice);
    });
}

function renderSimilar(panel, data) {
  clear(panel);
  const results = Array.isArray(data.results) ? data.results.filter((r) => r && typeof r === "object") : [];
  const title = results.length ? `${results.length} đoạn gần nghĩa nhất:` : "Không có đoạn tương tự.";
  panel.appendChild(el("p", { class: "similar-title", role: "status" }, title));
  if (!results.length) return;
  const list = el("ol", { class: "similar-list" });
  for (const r of results) {
    const c = r.citation || {};
    const docId = String(r.doc_id || "");
    const span = Array.isArray(c.char_span) ? c.char_span : null;
    const chunkId = Number.isInteger(r.chunk_id) ? r.chunk_id : null;
    const kind = kindBadge(r.kind);
    list.appendChild(
      el(
        "li",
        { class: "similar-item" },
        el(
          "a",
          { href: docHash(docId, span, chunkId), class: "doc-link similar-link", "data-doc": docId },
          citationLine(c, docId)
        ),
        el("p", { class: "similar-text", lang: "vi" }, kind, kind ? " " : null, shortText(r.text, 240))
      )
    );
  }
  panel.appendChild(list);
}
