/*
 * The tasks view: who must do what, by when, with the source of each task; filtered
 * by topic, unit and deadline.
 */

import { ASSIGNEES_URL, LatestRequest, getJson, tasksUrl } from "./api.js";
import { citationLine, citationParts } from "./citation.js";
import { $, clear, el, showError } from "./dom.js";
import { datetimeAttr, fold, formatCount, formatDate, formatDeadline, isString, isoDay, shortText } from "./format.js";
import { docHash, emptyTasks, setHash, tasksHash } from "./router.js";
import { currentView, setListHash, setViewBusy, showSection } from "./shell.js";

const DEBOUNCE_MS = 250;
const TASKS_PAGE = 50; // tasks asked for at first; "Hiện thêm" asks for TASKS_MAX
const TASKS_MAX = 200;

const TASK_COLUMNS = [
  ["unit", "Đơn vị"],
  ["action", "Nhiệm vụ"],
  ["due", "Thời hạn"],
  ["source", "Nguồn"],
];

let current = emptyTasks();
let limit = TASKS_PAGE;
let debounce = null;
let assignees = null; // promise of the unit list, fetched once
const request = new LatestRequest((busy) => setViewBusy("tasks-busy", busy));

function tasksKey(t, max) {
  return JSON.stringify([t.q.trim(), t.unit, t.due, max]);
}

/** Typing waits for a pause; a unit or a date applies at once. */
export function init() {
  $("tasks-q").addEventListener("input", () => {
    clearTimeout(debounce);
    debounce = setTimeout(() => commit(false), DEBOUNCE_MS);
  });
  $("tasks-form").addEventListener("submit", (e) => {
    e.preventDefault();
    commit(true);
  });
  $("tasks-unit").addEventListener("change", () => commit(true));
  $("tasks-due").addEventListener("change", () => commit(true));
}

export function searchBox() {
  return $("tasks-q");
}

/** Show the tasks of the route. Returns false when they are already on screen. */
export function show(route) {
  const fresh = tasksKey(route.tasks, limit) !== request.shownKey;
  showTasks(route.tasks);
  return fresh;
}

/** Another view opens: the request in flight is dropped. */
export function leave() {
  // A search still waiting to be sent would bring this view back after the person left it.
  clearTimeout(debounce);
  request.abort();
}

/** The reader changed: the units (and their counts) and the tasks are asked for again. */
export function reload() {
  request.forget();
  assignees = null;
  for (const option of $("tasks-unit").querySelectorAll("option.unit-loaded")) option.remove();
  if (currentView() === "tasks") {
    showTasks(current);
    return;
  }
  clear($("tasks-table-wrap")).hidden = true;
  $("tasks-more").hidden = true;
  $("tasks-status").textContent = "";
}

function showTasks(t) {
  if (tasksKey(t, 0) !== tasksKey(current, 0)) limit = TASKS_PAGE;
  current = t;
  setListHash("tasks", tasksHash(t));
  showSection("tasks");
  fillForm(t);
  loadAssignees();
  document.title = (t.q.trim() ? `${t.q.trim()} — ` : "") + "Nhiệm vụ — vanban";
  request.fetch(
    tasksKey(t, limit),
    tasksUrl(t, limit),
    (data) => renderTasks(data, t),
    (err) => renderError(err)
  );
}

function fillForm(t) {
  if ($("tasks-q").value !== t.q) $("tasks-q").value = t.q;
  if ($("tasks-due").value !== t.due) $("tasks-due").value = t.due;
  syncUnitSelect();
}

/** The unit list (with task counts) for the select, fetched once. */
function loadAssignees() {
  if (assignees) return;
  const asked = getJson(ASSIGNEES_URL)
    .then((data) => {
      if (assignees !== asked) return; // asked for a reader who has since signed in or out
      const select = $("tasks-unit");
      for (const old of select.querySelectorAll("option.unit-extra, option.unit-loaded")) old.remove();
      const units = Array.isArray(data.assignees) ? data.assignees : [];
      for (const u of units) {
        if (!u || !isString(u.name)) continue;
        const label = Number.isFinite(u.tasks) ? `${u.name} (${formatCount(u.tasks)})` : u.name;
        select.appendChild(el("option", { value: u.name, class: "unit-loaded" }, label));
      }
      syncUnitSelect();
    })
    .catch(() => {
      if (assignees === asked) assignees = null; // try again next time the view opens
    });
  assignees = asked;
}

/** Select the route's unit; one the list does not have (yet) gets an option of its own. */
function syncUnitSelect() {
  const select = $("tasks-unit");
  const unit = current.unit;
  const options = Array.from(select.options);
  let option = options.find((o) => o.value === unit);
  if (!option && unit) option = options.find((o) => o.value && fold(o.value) === fold(unit));
  if (!option && unit) {
    option = el("option", { value: unit, class: "unit-extra" }, unit);
    select.appendChild(option);
  }
  select.value = option ? option.value : "";
}

/** Read the form; push a history entry (a filter chosen) or replace it (typing). */
function commit(push) {
  clearTimeout(debounce);
  const t = { q: $("tasks-q").value, unit: $("tasks-unit").value, due: isoDay($("tasks-due").value) };
  if (setHash(tasksHash(t), push)) return; // the router shows it
  showTasks(t);
}

function renderError(err) {
  showError($("tasks-error"), err, "Không tải được dữ liệu.");
  $("tasks-status").textContent = "";
  $("tasks-table-wrap").hidden = true;
  $("tasks-more").hidden = true;
}

function renderTasks(data, t) {
  $("tasks-error").hidden = true;
  const tasks = Array.isArray(data.tasks) ? data.tasks.filter((x) => x && typeof x === "object") : [];
  const q = t.q.trim();
  // The server counts every match; an older server only says how many it sent.
  const total = Number.isFinite(data.total) ? Math.max(data.total, tasks.length) : tasks.length;
  const capped = total > tasks.length || (!Number.isFinite(data.total) && tasks.length >= limit);
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
  const caption = "Nhiệm vụ: đơn vị được giao, nội dung, thời hạn và văn bản nguồn";
  table.appendChild(el("caption", { class: "visually-hidden" }, caption));
  const heads = TASK_COLUMNS.map(([key, label]) => el("th", { scope: "col", class: `col-${key}` }, label));
  table.appendChild(el("thead", null, el("tr", null, heads)));
  const body = el("tbody");
  for (const task of tasks) body.appendChild(renderTaskRow(task, t));
  table.appendChild(body);
  wrap.appendChild(table);
  wrap.hidden = false;

  if (capped && limit < TASKS_MAX) {
    const button = el("button", { type: "button", class: "button-link" }, "Hiện thêm nhiệm vụ");
    button.addEventListener("click", () => {
      limit = TASKS_MAX;
      showTasks(current);
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
    const items = units.map((u) => el("li", null, active && fold(u) === active ? el("strong", null, u) : u));
    unitCell.appendChild(el("ul", { class: "unit-list" }, items));
  } else {
    unitCell.appendChild(el("span", { class: "muted" }, "—"));
  }
  if (isString(task.lead_person) && !units.some((u) => fold(u).includes(fold(task.lead_person)))) {
    unitCell.appendChild(el("span", { class: "cell-note" }, `Chỉ đạo: ${task.lead_person}`));
  }
  row.appendChild(unitCell);

  const action = isString(task.action) ? task.action : "—";
  row.appendChild(el("td", { class: "col-action", "data-label": "Nhiệm vụ", lang: "vi" }, action));

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

  // Source: the citation's head, a link to the document at the task; under it the issuer,
  // the nearest section that is not the unit itself, and the pages. The whole citation
  // line is the link's tooltip.
  const unitKeys = new Set(units.map(fold));
  const parts = citationParts(c, docId, {
    headings: (path) => path.filter((h) => !unitKeys.has(fold(h))).slice(-1).map((h) => shortText(h, 70)),
  });
  const note = [parts.issuer, parts.section, parts.pages].filter(isString);
  const span = Array.isArray(c.char_span) ? c.char_span : null;
  const chunkId = Number.isInteger(task.chunk_id) ? task.chunk_id : null;
  row.appendChild(
    el(
      "td",
      { class: "col-source", "data-label": "Nguồn" },
      el(
        "a",
        {
          href: docHash(docId, span, chunkId),
          class: "doc-link task-source",
          "data-doc": docId,
          title: citationLine(c, docId),
        },
        parts.head
      ),
      note.length ? el("span", { class: "cell-note" }, note.join(" — ")) : null
    )
  );
  return row;
}
