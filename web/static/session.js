/*
 * Signing in on the page: who is reading (shown in the header), the sign-in form
 * (name and password, sent once as JSON in a POST; the server answers with an
 * HttpOnly cookie the page never sees), signing out, and what to do when any
 * request finds the session over or a sign-in required.
 *
 * The password lives only in its field until it is sent: never in the URL, in
 * storage or in the console, and the field is emptied as soon as the answer comes.
 */

import { SESSION_URL, onSignInNeeded, requestJson } from "./api.js";
import { $, clear, el, isEditable } from "./dom.js";
import { formatCount, isString } from "./format.js";

const ANONYMOUS = { name: null, groups: [], admin: false, kind: "anonymous" };
const CHECK_EVERY_MS = 60_000;
const SESSION_OVER = "Phiên đăng nhập đã kết thúc. Đăng nhập lại để xem cả văn bản dành cho nhóm của bạn.";

let who = ANONYMOUS;
let onChange = () => {};
let expiring = false;
let waitTimer = null;

/** Start: learn who is reading; onReaderChanged() is called whenever that changes
 * (signed in, signed out, session over), for the views to ask for their data again. */
export function init(onReaderChanged) {
  onChange = onReaderChanged;
  onSignInNeeded(signInNeeded);
  $("sign-in-open").addEventListener("click", () => {
    if ($("sign-in-form").hidden) openForm(null, true);
    else closeForm();
  });
  $("sign-in-cancel").addEventListener("click", () => {
    closeForm();
    $("sign-in-open").focus();
  });
  $("sign-in-form").addEventListener("submit", (e) => {
    e.preventDefault();
    signIn();
  });
  $("sign-in-form").addEventListener("keydown", (e) => {
    if (e.key !== "Escape") return;
    e.preventDefault(); // not the document view's "back"
    closeForm();
    $("sign-in-open").focus();
  });
  $("sign-out").addEventListener("click", signOut);
  // The browser drops the cookie when it runs out, without a word to the page; another tab
  // may sign in or out. Asked again on coming back to the tab, and now and then while signed in.
  document.addEventListener("visibilitychange", () => {
    if (document.visibilityState === "visible") refresh(true);
  });
  setInterval(() => {
    if (isString(who.name) && document.visibilityState === "visible") refresh(true);
  }, CHECK_EVERY_MS);
  refresh(false);
}

/** Ask the server who is reading; with changed set, reload the views if that is someone else. */
function refresh(changed) {
  requestJson(SESSION_URL)
    .then((data) => {
      const before = who.name;
      show(data);
      if (!changed || who.name === before) return;
      if (isString(before) && !isString(who.name)) openForm(SESSION_OVER, false);
      onChange();
    })
    .catch(() => {
      // 401s are handled by signInNeeded; anything else leaves the line as it is.
    });
}

function show(data) {
  who = data && isString(data.name) ? data : ANONYMOUS;
  const signedIn = isString(who.name);
  $("session-user").hidden = !signedIn;
  $("sign-in-open").hidden = signedIn;
  const line = clear($("session-who"));
  if (!signedIn) return;
  const notes = [];
  const groups = Array.isArray(who.groups) ? who.groups.filter(isString) : [];
  if (groups.length) notes.push(`nhóm: ${groups.join(", ")}`);
  if (who.admin === true) notes.push("quản trị");
  line.appendChild(document.createTextNode("Đang đăng nhập: "));
  line.appendChild(el("strong", { class: "session-name" }, who.name));
  if (notes.length) line.appendChild(document.createTextNode(` (${notes.join("; ")})`));
  closeForm();
}

function message(text) {
  const box = $("session-message");
  if (!text) {
    box.hidden = true;
    clear(box);
    return;
  }
  clear(box).appendChild(document.createTextNode(text));
  box.hidden = false;
}

/** The form, with text above it (why it opened) or none; the focus into it when asked. */
function openForm(text, focus) {
  $("sign-in-form").hidden = false;
  $("sign-in-open").setAttribute("aria-expanded", "true");
  if (text !== undefined) message(text);
  if (focus) ($("sign-in-name").value ? $("sign-in-password") : $("sign-in-name")).focus();
}

function closeForm() {
  $("sign-in-form").hidden = true;
  $("sign-in-open").setAttribute("aria-expanded", "false");
  $("sign-in-password").value = "";
  message(null);
}

/** "45 giây", "10 phút". */
function waitText(seconds) {
  return seconds < 60 ? `${formatCount(seconds)} giây` : `${formatCount(Math.ceil(seconds / 60))} phút`;
}

/** Too many failed tries: say how long to wait, and keep the button off until then. */
function holdBack(seconds) {
  const button = $("sign-in-submit");
  button.disabled = true;
  clearTimeout(waitTimer);
  waitTimer = setTimeout(() => {
    button.disabled = false;
  }, seconds * 1000);
}

async function signIn() {
  const nameField = $("sign-in-name");
  const passwordField = $("sign-in-password");
  const name = nameField.value.trim();
  if (!name || !passwordField.value) {
    message("Nhập tên đăng nhập và mật khẩu.");
    (name ? passwordField : nameField).focus();
    return;
  }
  const button = $("sign-in-submit");
  button.disabled = true;
  let data;
  try {
    data = await requestJson(SESSION_URL, { method: "POST", body: { name, password: passwordField.value } });
  } catch (err) {
    passwordField.value = "";
    button.disabled = false;
    if (err.status === 429 && Number.isInteger(err.retryAfter) && err.retryAfter > 0) {
      message(`Đăng nhập sai quá nhiều lần. Vui lòng thử lại sau ${waitText(err.retryAfter)}.`);
      holdBack(err.retryAfter);
    } else {
      message(err && err.message ? err.message : "Không đăng nhập được. Vui lòng thử lại.");
    }
    passwordField.focus();
    return;
  }
  passwordField.value = "";
  button.disabled = false;
  show(data);
  $("session-who").focus();
  onChange();
}

async function signOut() {
  try {
    await requestJson(SESSION_URL, { method: "DELETE" });
  } catch (err) {
    message(err && err.message ? err.message : "Không đăng xuất được. Vui lòng thử lại.");
    return;
  }
  message(null);
  show(ANONYMOUS);
  $("sign-in-open").focus();
  onChange();
}

/** Any request answered 401 session_expired or login_required. */
function signInNeeded(err) {
  if (err.code === "login_required") {
    // The reader is anonymous and this server shows nothing to anonymous readers.
    show(ANONYMOUS);
    const shown = !$("session-message").hidden;
    openForm(shown ? undefined : err.message, !isEditable(document.activeElement));
    return;
  }
  expired(err);
}

/** The session ended on the server (expired, the user removed, the password changed): the
 * cookie is dropped, the reader told, and the views ask again as an anonymous reader. The
 * views are reloaded only once the server answers without the old session: were the cookie
 * still sent, they would fail the same way again, and again. */
async function expired(err) {
  if (expiring) return;
  expiring = true;
  try {
    await requestJson(SESSION_URL, { method: "DELETE" });
    const reader = await requestJson(SESSION_URL);
    show(reader);
    if (!isString(who.name)) openForm(err.message, false);
    onChange();
  } catch (e) {
    // Still refused (anonymous readers may not read here, or the server is away): the form stays open.
    show(ANONYMOUS);
    openForm(err.message, false);
  } finally {
    expiring = false;
  }
}
