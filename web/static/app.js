/*
 * vanban search page: plain JavaScript modules, no framework, no build step.
 *
 * This module starts the page: it hands each route to its view (search and start
 * page, document, tasks, recurring shortcomings), and owns the keys that work
 * everywhere ("/" to the search box, Escape back from a document).
 *
 *   api.js        the request helper and the API's URLs
 *   session.js    who is reading: sign in, sign out, a session that ended
 *   router.js     the hash routes, read and written
 *   shell.js      which view is shown, the tabs, the way back to a list
 *   view-*.js     one module per view, each with its own state
 *   citation.js, format.js, highlight.js, kinds.js, relations.js, facets.js, dom.js, similar.js
 *                 shared pieces (relations.js: the labels and badges of links between documents)
 *   doc-relations.js   the document view's "Văn bản liên quan" section
 *
 * Security: every string that comes from the API (documents, metadata, messages) is
 * inserted with text nodes, never parsed as HTML.
 */

import { $, isEditable } from "./dom.js";
import { DOC_LINKS, startRouter } from "./router.js";
import * as session from "./session.js";
import { currentView, rememberReturn, restorePosition } from "./shell.js";
import * as documentView from "./view-document.js";
import * as recurringView from "./view-recurring.js";
import * as searchView from "./view-search.js";
import * as tasksView from "./view-tasks.js";

const VIEWS = { home: searchView, search: searchView, doc: documentView, tasks: tasksView, recurring: recurringView };

/** Show the route's view; the others drop what they have in flight. Coming back from a
 * document to a list whose answer is still on screen puts back its scroll and focus. */
function onRoute(route) {
  const previous = currentView();
  const view = VIEWS[route.view];
  for (const other of new Set(Object.values(VIEWS))) if (other !== view) other.leave();
  const fresh = view.show(route, previous);
  if (previous === "doc" && route.view !== "doc" && route.view !== "home" && !fresh) restorePosition(route.view);
}

/** Someone else reads now (signed in, out, or the session ended): every view forgets what
 * it holds, and the one on screen asks again, so that it shows what this reader may read. */
function onReaderChanged() {
  for (const view of new Set(Object.values(VIEWS))) view.reload();
}

function onKey(e) {
  if (e.defaultPrevented || e.ctrlKey || e.metaKey || e.altKey) return;
  const view = currentView();
  if (e.key === "/" && !isEditable(e.target)) {
    e.preventDefault();
    const box = (view === "tasks" ? tasksView : view === "recurring" ? recurringView : searchView).searchBox();
    box.focus();
    box.select();
  } else if (e.key === "Escape" && view === "doc" && e.target !== searchView.searchBox()) {
    e.preventDefault();
    documentView.back();
  }
}

function init() {
  session.init(onReaderChanged);
  searchView.init();
  tasksView.init();
  recurringView.init();
  documentView.init();
  // A document opened from a list: remember the link and the scroll to come back to.
  $("main").addEventListener("click", (e) => {
    const link = e.target instanceof Element ? e.target.closest(DOC_LINKS) : null;
    if (link) rememberReturn(link.getAttribute("href"));
  });
  $("skip-link").addEventListener("click", (e) => {
    e.preventDefault();
    $("main").focus();
  });
  document.addEventListener("keydown", onKey);
  startRouter(onRoute);
  if (currentView() === null) searchView.showHome(); // a first hash that is no route (the skip link's)
}

// A module script runs once the document is parsed: the elements are there.
init();
