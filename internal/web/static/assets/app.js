// MangaHub's page: log in, search the catalog, keep the library, live.
// Everything on screen is built with DOM calls from data, never parsed from
// strings, so no catalog text can become markup.

import * as http from "./api.js";
import { Sync } from "./sync.js";
import { h, clear, relativeTime, STATUSES, statusName, publicationName } from "./dom.js";

const $ = (id) => document.getElementById(id);
const PAGE = 20;

const state = {
  user: null,
  library: new Map(), // manga_id → { progress, manga: {id, title, total_chapters} }
  writing: new Set(), // manga ids with a change of ours in flight
  open: null, // the manga shown in the detail panel
  query: { q: "", genre: "", status: "", offset: 0 },
  searchSeq: 0,
};

let sync = null;
const tabs = "BroadcastChannel" in window ? new BroadcastChannel("mangahub") : null;

// ---- notices ----------------------------------------------------------

let noticeTimer = 0;
function notice(text, kind = "info") {
  const el = $("notice");
  el.textContent = text;
  el.dataset.kind = kind;
  el.classList.add("shown");
  clearTimeout(noticeTimer);
  noticeTimer = setTimeout(() => el.classList.remove("shown"), kind === "error" ? 8000 : 4000);
}

function failed(err) {
  if (http.sessionLost(err)) {
    sessionOver("Your session has ended. Please log in again.");
    return;
  }
  notice(err && err.message ? err.message : "Something went wrong.", "error");
}

// ---- session ----------------------------------------------------------

function setSyncState(s) {
  const el = $("sync");
  el.dataset.syncState = s;
  $("sync-text").textContent = { live: "Live", connecting: "Connecting…", offline: "Offline" }[s];
}

function showAuth() {
  $("booting").hidden = true;
  $("app").hidden = true;
  $("logout").hidden = true;
  $("who").hidden = true;
  $("auth").hidden = false;
  setSyncState("offline");
}

async function enter(user) {
  state.user = user;
  $("booting").hidden = true;
  $("auth").hidden = true;
  $("app").hidden = false;
  $("who").textContent = user.username;
  $("who").hidden = false;
  $("logout").hidden = false;
  $("password").value = "";
  sync = new Sync({
    token: http.accessToken,
    refresh: http.refresh,
    onState: setSyncState,
    onPush: onPush,
    onLive: () => loadLibrary(true).catch(failed),
    onSessionLost: () => sessionOver("Your session has ended. Please log in again."),
  });
  sync.start();
  await Promise.all([loadGenres(), loadLibrary(false), search()]).catch(failed);
}

function leave() {
  if (sync) sync.stop();
  sync = null;
  state.user = null;
  state.library.clear();
  state.open = null;
  clear($("library"));
  clear($("results"));
  $("detail").hidden = true;
  showAuth();
}

function sessionOver(message) {
  if (!state.user) return;
  leave();
  notice(message, "error");
}

async function boot() {
  try {
    await http.refresh(); // the cookie, if this browser has a session
    const me = await http.api("GET", "/api/me");
    await enter({ user_id: me.user_id, username: me.username });
  } catch {
    showAuth();
  }
}

function authForm() {
  const form = $("auth-form");
  const error = $("auth-error");
  const values = () => ({ username: $("username").value.trim(), email: $("email").value.trim(), password: $("password").value });
  let busy = false;
  async function run(action) {
    if (busy) return;
    busy = true;
    error.textContent = "";
    try {
      await action();
    } catch (err) {
      error.textContent = err.message || "That did not work.";
    } finally {
      busy = false;
    }
  }
  form.addEventListener("submit", (ev) => {
    ev.preventDefault();
    const v = values();
    if (!v.username || !v.password) {
      error.textContent = "Enter your username (or email) and password.";
      return;
    }
    run(async () => enter(await http.login(v.username, v.password)));
  });
  $("register").addEventListener("click", () => {
    const v = values();
    if (!v.username || !v.email || !v.password) {
      error.textContent = "To register, enter a username, an email and a password.";
      return;
    }
    run(async () => {
      await http.register(v.username, v.email, v.password);
      await enter(await http.login(v.username, v.password));
      notice(`Welcome, ${v.username}! Your account is ready.`);
    });
  });
  $("logout").addEventListener("click", async () => {
    await http.logout();
    if (tabs) tabs.postMessage("logout");
    leave();
    $("username").focus();
  });
  // A logout ends the session in every tab of this browser, not only when
  // the others next need a token.
  if (tabs) {
    tabs.onmessage = (ev) => {
      if (ev.data === "logout") sessionOver("You logged out in another tab.");
    };
  }
}

// ---- catalog ----------------------------------------------------------

async function loadGenres() {
  const res = await http.api("GET", "/api/genres");
  const select = $("genre");
  const keep = select.value;
  select.replaceChildren(h("option", { value: "" }, "Any genre"));
  for (const g of res.items) select.append(h("option", { value: g.name }, `${g.name} (${g.manga_count})`));
  select.value = keep;
}

function readQuery() {
  state.query = { q: $("search").value.trim(), genre: $("genre").value, status: $("publication").value, offset: 0 };
}

async function search(more = false) {
  const q = state.query;
  const params = new URLSearchParams({ limit: String(PAGE), offset: String(q.offset) });
  if (q.q) params.set("q", q.q);
  if (q.genre) params.append("genre", q.genre);
  if (q.status) params.set("status", q.status);
  const seq = ++state.searchSeq;
  const list = $("results");
  list.setAttribute("aria-busy", "true");
  let res;
  try {
    res = await http.api("GET", "/api/manga?" + params);
  } finally {
    if (seq === state.searchSeq) list.setAttribute("aria-busy", "false");
  }
  if (seq !== state.searchSeq) return; // a newer search is under way
  if (!more) clear(list);
  for (const m of res.items) list.append(resultItem(m));
  const shown = q.offset + res.items.length;
  $("result-count").textContent =
    res.total === 0 ? "No manga match." : res.total === 1 ? "1 manga" : `${shown < res.total ? `${shown} of ` : ""}${res.total} manga`;
  $("more").hidden = shown >= res.total;
}

function resultItem(m) {
  const inLib = state.library.has(m.id);
  const meta = [m.author, m.year, publicationName(m.status), m.total_chapters ? `${m.total_chapters} ch.` : null].filter(Boolean).join(" · ");
  return h(
    "li",
    {},
    h(
      "button",
      { type: "button", class: "result", "data-result-manga-id": String(m.id), onclick: () => openManga(m) },
      h("span", { class: "tile", "aria-hidden": "true", "data-hue": hue(m.title) }, initials(m.title)),
      h("span", { class: "result-text" }, h("span", { class: "title" }, m.title), h("span", { class: "meta" }, meta)),
      inLib ? h("span", { class: "badge" }, "In library") : null,
    ),
  );
}

function searchForm() {
  $("search-form").addEventListener("submit", (ev) => {
    ev.preventDefault();
    readQuery();
    search().catch(failed);
  });
  // Enter in the Search field runs the search, whatever the form around it.
  $("search").addEventListener("keydown", (ev) => {
    if (ev.key === "Enter" && !ev.isComposing) {
      ev.preventDefault();
      readQuery();
      search().catch(failed);
    }
  });
  for (const id of ["genre", "publication"]) {
    $(id).addEventListener("change", () => {
      readQuery();
      search().catch(failed);
    });
  }
  $("more").addEventListener("click", () => {
    state.query.offset += PAGE;
    search(true).catch(failed);
  });
}

function initials(title) {
  return (title.match(/\p{L}|\p{N}/gu) || ["?"]).slice(0, 2).join("").toUpperCase();
}

// hue picks one of a few tile colours, the same for a title every time.
function hue(title) {
  let n = 0;
  for (const c of title) n = (n * 31 + c.codePointAt(0)) >>> 0;
  return String(n % 6);
}

// ---- detail panel -----------------------------------------------------

async function openManga(m, focus = true) {
  state.open = m;
  renderDetail();
  const panel = $("detail");
  if (focus) {
    panel.scrollIntoView({ block: "nearest", behavior: matchMedia("(prefers-reduced-motion: reduce)").matches ? "auto" : "smooth" });
    $("detail-title").focus();
  }
  if (m.description === undefined) {
    // Opened from the library: fetch the whole record.
    try {
      const full = await http.api("GET", `/api/manga/${m.id}`);
      if (state.open && state.open.id === m.id) {
        state.open = full;
        renderDetail(true);
      }
    } catch (err) {
      failed(err);
    }
  }
}

function closeDetail() {
  const id = state.open && state.open.id;
  state.open = null;
  $("detail").hidden = true;
  clear($("detail"));
  const back = id && (document.querySelector(`[data-manga-id="${id}"] .entry-open`) || document.querySelector(`[data-result-manga-id="${id}"]`));
  if (back) back.focus();
}

// renderDetail draws the panel of state.open. keepInputs leaves what the
// user is typing alone.
function renderDetail(keepInputs = false) {
  const m = state.open;
  const panel = $("detail");
  if (!m) return;
  const entry = state.library.get(m.id);
  const prevChapter = keepInputs && $("chapter") ? $("chapter").value : null;
  const prevStatus = keepInputs && $("status") ? $("status").value : null;
  const max = m.total_chapters || null;

  const meta = [m.author, m.year, publicationName(m.status), max ? `${max} chapters` : "chapters still coming"].filter(Boolean).join(" · ");
  const chapter = h("input", { id: "chapter", type: "number", inputmode: "numeric", min: "0", required: "", value: String(entry ? entry.progress.chapter : 0) });
  if (max) chapter.max = String(max);
  const status = h("select", { id: "status" }, ...STATUSES.map((s) => h("option", { value: s }, statusName(s))));
  status.value = entry ? entry.progress.status : "reading";
  if (prevChapter !== null) chapter.value = prevChapter;
  if (prevStatus !== null) status.value = prevStatus;

  const step = (d) => {
    const v = Math.max(0, (parseInt(chapter.value, 10) || 0) + d);
    chapter.value = String(max ? Math.min(v, max) : v);
  };
  const confirmBox = h("div", { id: "confirm", class: "confirm", hidden: "" });
  const form = h(
    "form",
    { class: "entry-form", novalidate: "", onsubmit: (ev) => { ev.preventDefault(); save(false); } },
    h("p", { class: "where" }, entry ? `In your library: chapter ${entry.progress.chapter}, ${statusName(entry.progress.status).toLowerCase()}.` : "Not in your library yet."),
    h(
      "div",
      { class: "row" },
      h(
        "div",
        { class: "field" },
        h("label", { for: "chapter" }, "Chapter"),
        h(
          "div",
          { class: "stepper" },
          h("button", { type: "button", class: "step", "aria-label": "One chapter back", onclick: () => step(-1) }, "−"),
          chapter,
          h("button", { type: "button", class: "step", "aria-label": "One chapter forward", onclick: () => step(1) }, "+"),
        ),
      ),
      h("div", { class: "field" }, h("label", { for: "status" }, "Status"), status),
    ),
    confirmBox,
    h(
      "div",
      { class: "actions" },
      h("button", { type: "submit", class: "primary" }, entry ? "Save" : "Add to library"),
      entry ? h("button", { type: "button", class: "danger", onclick: () => remove(m.id) }, "Remove") : null,
    ),
  );

  clear(panel);
  const parts = [
    h(
      "div",
      { class: "detail-head" },
      h("span", { class: "tile big", "aria-hidden": "true", "data-hue": hue(m.title) }, initials(m.title)),
      h("div", {}, h("h2", { id: "detail-title", tabindex: "-1" }, m.title), h("p", { class: "meta" }, meta)),
      h("button", { type: "button", class: "close quiet", "aria-label": "Close", onclick: closeDetail }, "×"),
    ),
    m.alt_titles && m.alt_titles.length ? h("p", { class: "alt" }, "Also known as " + m.alt_titles.join(", ")) : null,
    m.genres && m.genres.length ? h("ul", { class: "genres", "aria-label": "Genres" }, ...m.genres.map((g) => h("li", {}, g))) : null,
    m.description ? h("p", { class: "desc" }, m.description) : null,
    form,
  ];
  panel.append(...parts.filter(Boolean));
  panel.hidden = false;
}

function showConfirm(from, to, status) {
  const box = $("confirm");
  if (!box) return;
  clear(box);
  box.append(
    h("p", {}, `This goes backwards: from chapter ${from} to chapter ${to}.`),
    h(
      "div",
      { class: "actions" },
      h("button", { type: "button", class: "primary", onclick: () => save(true, to, status) }, "Confirm"),
      h("button", { type: "button", onclick: () => { box.hidden = true; $("chapter").focus(); } }, "Cancel"),
    ),
  );
  box.hidden = false;
  box.querySelector("button").focus();
}

async function save(force, chapterValue, statusValue) {
  const m = state.open;
  if (!m) return;
  const input = $("chapter");
  const chapter = chapterValue !== undefined ? chapterValue : input.value.trim() === "" ? NaN : Number(input.value);
  const status = statusValue !== undefined ? statusValue : $("status").value;
  if (!Number.isInteger(chapter) || chapter < 0 || (m.total_chapters && chapter > m.total_chapters)) {
    notice(m.total_chapters ? `Chapter must be a whole number from 0 to ${m.total_chapters}.` : "Chapter must be a whole number, 0 or more.", "error");
    input.focus();
    return;
  }
  const entry = state.library.get(m.id);
  if (entry && chapter < entry.progress.chapter && !force) {
    showConfirm(entry.progress.chapter, chapter, status);
    return;
  }
  const body = { manga_id: m.id, chapter, status };
  if (force) body.force = true;
  state.writing.add(m.id);
  try {
    const res = await http.api("POST", "/api/progress", body);
    put(res.progress, m, false);
    if (res.applied) {
      notice(entry ? `Saved: ${m.title}, chapter ${res.progress.chapter}.` : `Added ${m.title} to your library.`);
      renderDetail();
    } else if (res.reason === "backwards") {
      renderDetail();
      showConfirm(res.progress.chapter, chapter, status);
    } else {
      notice("Nothing to change.");
      renderDetail();
    }
  } catch (err) {
    if (err.code === "conflict" && err.progress) put(err.progress, m, true);
    failed(err);
  } finally {
    state.writing.delete(m.id);
  }
}

async function remove(id) {
  const entry = state.library.get(id);
  state.writing.add(id);
  try {
    await http.api("DELETE", `/api/progress/${id}`);
  } catch (err) {
    if (err.code !== "not_found") {
      failed(err);
      return;
    }
  } finally {
    state.writing.delete(id);
  }
  state.library.delete(id);
  renderLibrary();
  refreshResultBadge(id);
  if (state.open && state.open.id === id) renderDetail();
  notice(`Removed ${entry ? entry.manga.title : "it"} from your library.`);
}

async function quickForward(id) {
  const entry = state.library.get(id);
  if (!entry) return;
  const max = entry.manga.total_chapters;
  if (max && entry.progress.chapter >= max) {
    notice(`${entry.manga.title} has no chapter after ${max}.`);
    return;
  }
  state.writing.add(id);
  try {
    const res = await http.api("POST", "/api/progress", { manga_id: id, chapter: entry.progress.chapter + 1 });
    put(res.progress, entry.manga, false);
    if (state.open && state.open.id === id) renderDetail();
  } catch (err) {
    failed(err);
  } finally {
    state.writing.delete(id);
  }
}

// ---- library ----------------------------------------------------------

function summary(m) {
  return { id: m.id, title: m.title, total_chapters: m.total_chapters ?? null };
}

// put stores a progress record unless a newer one is known; flash marks a
// change that came from elsewhere.
function put(p, manga, flash) {
  const known = state.library.get(p.manga_id);
  if (known && known.progress.version >= p.version) return false;
  state.library.set(p.manga_id, { progress: p, manga: summary(manga || (known && known.manga) || placeholder(p.manga_id)) });
  renderLibrary(flash ? [p.manga_id] : []);
  if (!known) refreshResultBadge(p.manga_id);
  return true;
}

async function loadLibrary(catchUp) {
  const items = [];
  for (let offset = 0; ; offset += 100) {
    const res = await http.api("GET", `/api/progress?limit=100&offset=${offset}`);
    items.push(...res.items);
    if (res.items.length === 0 || items.length >= res.total) break;
  }
  const before = state.library;
  const known = (p) => p.manga || (before.has(p.manga_id) && before.get(p.manga_id).manga) || null;
  state.library = new Map(items.map((p) => [p.manga_id, { progress: withoutManga(p), manga: summary(known(p) || placeholder(p.manga_id)) }]));
  // Titles the list did not carry: fetch them, a few at a time.
  const missing = items.filter((p) => !known(p)).map((p) => p.manga_id);
  if (missing.length) learnTitles(missing);
  // After a reconnect, show what changed while the page was not listening.
  const changed = catchUp ? items.filter((p) => !before.has(p.manga_id) || before.get(p.manga_id).progress.version !== p.version).map((p) => p.manga_id) : [];
  renderLibrary(changed);
  for (const id of new Set([...before.keys(), ...state.library.keys()])) refreshResultBadge(id);
  if (state.open && catchUp) renderDetail(true);
}

function placeholder(id) {
  return { id, title: `Manga #${id}`, total_chapters: null, placeholder: true };
}

async function learnTitles(ids) {
  const queue = [...ids];
  const worker = async () => {
    while (queue.length) {
      const id = queue.shift();
      try {
        const m = await http.api("GET", `/api/manga/${id}`);
        const e = state.library.get(id);
        if (e) e.manga = summary(m);
      } catch {
        // keep the placeholder
      }
    }
  };
  await Promise.all([worker(), worker(), worker(), worker()]);
  renderLibrary();
}

function withoutManga(p) {
  const { manga: _, ...rest } = p;
  return rest;
}

function onPush(msg) {
  if (msg.type === "progress_broadcast") {
    const p = msg.progress;
    const known = state.library.get(p.manga_id);
    const ours = state.writing.has(p.manga_id);
    if (!put(p, known ? known.manga : null, !ours)) return;
    if (!known) learnTitles([p.manga_id]); // new to this page
    if (state.open && state.open.id === p.manga_id) renderDetailAfterPush(known);
  } else if (msg.type === "progress_deleted") {
    const known = state.library.get(msg.manga_id);
    if (!known || (msg.version !== undefined && known.progress.version > msg.version)) return;
    state.library.delete(msg.manga_id);
    renderLibrary();
    refreshResultBadge(msg.manga_id);
    if (state.open && state.open.id === msg.manga_id) renderDetail();
  }
}

// A push for the open manga updates the panel; the Chapter field follows
// unless the user has typed something else into it.
function renderDetailAfterPush(before) {
  const input = $("chapter");
  const untouched = !input || !before || input.value === String(before.progress.chapter);
  const statusUntouched = !$("status") || !before || $("status").value === before.progress.status;
  const focused = document.activeElement && document.activeElement.id;
  renderDetail(!(untouched && statusUntouched));
  if (focused && $(focused)) $(focused).focus();
}

function renderLibrary(flash = []) {
  const root = $("library");
  const focusedId = document.activeElement && document.activeElement.closest && document.activeElement.closest("[data-manga-id]");
  const focusKey = focusedId ? [focusedId.dataset.mangaId, document.activeElement.className] : null;
  clear(root);
  if (state.library.size === 0) {
    root.append(h("p", { class: "empty" }, "Nothing here yet. Find a manga in the catalog and add it to your library."));
    return;
  }
  const entries = [...state.library.values()].sort((a, b) => (a.progress.updated_at < b.progress.updated_at ? 1 : a.progress.updated_at > b.progress.updated_at ? -1 : b.progress.manga_id - a.progress.manga_id));
  for (const s of STATUSES) {
    const group = entries.filter((e) => e.progress.status === s);
    if (group.length === 0) continue;
    root.append(
      h(
        "section",
        { class: "group", "aria-labelledby": `group-${s}` },
        h("h3", { id: `group-${s}` }, statusName(s), h("span", { class: "count" }, String(group.length))),
        h("ul", {}, ...group.map((e) => libraryItem(e, flash.includes(e.progress.manga_id)))),
      ),
    );
  }
  if (focusKey) {
    const el = root.querySelector(`[data-manga-id="${focusKey[0]}"] .${focusKey[1].split(" ")[0]}`);
    if (el) el.focus();
  }
}

function libraryItem(e, flash) {
  const p = e.progress;
  const m = e.manga;
  const max = m.total_chapters;
  const li = h(
    "li",
    { class: "entry" + (flash ? " flash" : ""), "data-manga-id": String(p.manga_id) },
    h("span", { class: "tile", "aria-hidden": "true", "data-hue": hue(m.title) }, initials(m.title)),
    h(
      "div",
      { class: "entry-text" },
      h("button", { type: "button", class: "entry-open", onclick: () => openManga(m) }, m.title),
      h(
        "span",
        { class: "meta" },
        "Chapter ",
        h("span", { "data-field": "chapter" }, String(p.chapter)),
        max ? ` of ${max}` : "",
        " · ",
        h("span", { class: "chip", "data-field": "status" }, p.status),
        " · ",
        h("time", { datetime: p.updated_at, title: new Date(p.updated_at).toLocaleString() }, relativeTime(p.updated_at)),
      ),
      max ? h("progress", { max: String(max), value: String(Math.min(p.chapter, max)), "aria-label": `${m.title}: ${p.chapter} of ${max} chapters` }) : null,
    ),
    h(
      "div",
      { class: "entry-actions" },
      h("button", { type: "button", class: "plus", "aria-label": `Next chapter of ${m.title}`, title: "Next chapter", onclick: () => quickForward(p.manga_id) }, "+1"),
      h("button", { type: "button", class: "remove quiet", "aria-label": `Remove ${m.title}`, onclick: () => remove(p.manga_id) }, "Remove"),
    ),
  );
  if (flash) setTimeout(() => li.classList.remove("flash"), 1600);
  return li;
}

function refreshResultBadge(id) {
  const btn = document.querySelector(`[data-result-manga-id="${id}"]`);
  if (!btn) return;
  const has = state.library.has(id);
  const badge = btn.querySelector(".badge");
  if (has && !badge) btn.append(h("span", { class: "badge" }, "In library"));
  if (!has && badge) badge.remove();
}

// ---- start ------------------------------------------------------------

document.addEventListener("keydown", (ev) => {
  if (ev.key === "Escape" && state.open && $("detail").contains(document.activeElement)) closeDetail();
});
authForm();
searchForm();
boot();
