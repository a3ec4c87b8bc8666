/*
 * What the views share on screen: which section is shown, the header's tabs (each
 * returns to where its view was left), and the place to come back to on a list when
 * a document opened from it is closed.
 */

import { $ } from "./dom.js";
import { DOC_LINKS, HOME_HASH, RECURRING_HASH, TASKS_HASH } from "./router.js";

const SECTIONS = {
  home: "search-view",
  search: "search-view",
  doc: "doc-view",
  tasks: "tasks-view",
  recurring: "recurring-view",
};
const TABS = { home: "nav-search", search: "nav-search", tasks: "nav-tasks", recurring: "nav-recurring" };
const LIST_VIEWS = new Set(["home", "search", "tasks", "recurring"]);

let view = null; // "home" | "search" | "doc" | "tasks" | "recurring"; null before the first route
const listHashes = { search: HOME_HASH, tasks: TASKS_HASH, recurring: RECURRING_HASH };
const scrolls = {}; // window scroll of each list view when a document was opened from it
let returnTo = null; // href of the link to focus when coming back

export function currentView() {
  return view;
}

export function isListView(name) {
  return LIST_VIEWS.has(name);
}

/** Show one view: its section, the header search box where it belongs, the current tab. */
export function showSection(name) {
  view = name;
  const shown = SECTIONS[name];
  for (const id of new Set(Object.values(SECTIONS))) $(id).hidden = id !== shown;
  $("header-search").hidden = name === "tasks" || name === "recurring";
  updateTabs();
}

/** Each tab returns to where that view was left; the active one carries aria-current. */
function updateTabs() {
  $("nav-search").setAttribute("href", listHashes.search);
  $("nav-tasks").setAttribute("href", listHashes.tasks);
  $("nav-recurring").setAttribute("href", listHashes.recurring);
  const current = TABS[view] || null;
  for (const id of ["nav-search", "nav-tasks", "nav-recurring"]) {
    if (id === current) $(id).setAttribute("aria-current", "page");
    else $(id).removeAttribute("aria-current");
  }
}

/** Where a list view is now (its tab goes back there). */
export function setListHash(name, hash) {
  listHashes[name] = hash;
}

export function listHash(name) {
  return listHashes[name] || HOME_HASH;
}

/** A document link on the current list was followed: remember it and the scroll. */
export function rememberReturn(href) {
  if (!LIST_VIEWS.has(view)) return;
  returnTo = href;
  scrolls[view] = window.scrollY;
}

/** Back on a list from a document: where it was scrolled, the link that was opened focused. */
export function restorePosition(name) {
  window.scrollTo(0, scrolls[name] || 0);
  if (!returnTo) return;
  for (const a of $(SECTIONS[name]).querySelectorAll(DOC_LINKS)) {
    if (a.getAttribute("href") !== returnTo) continue;
    a.focus({ preventScroll: true });
    if (document.activeElement === a) break; // a link in a closed panel cannot take the focus
  }
}

/** The "Đang tải…" note of a list view, and aria-busy on its section. */
export function setViewBusy(busyId, busy) {
  const busyNote = $(busyId);
  busyNote.hidden = !busy;
  const section = busyNote.closest("section");
  if (section) section.setAttribute("aria-busy", busy ? "true" : "false");
}
