// The few things htmx attributes can't do. No inline scripts anywhere: the pages keep a strict CSP.
"use strict";

// "/" focuses the search box, unless the reader is typing somewhere already.
document.addEventListener("keydown", (event) => {
  if (event.key !== "/" || event.ctrlKey || event.metaKey || event.altKey) return;
  const target = event.target;
  if (target.closest && target.closest("input, textarea, select, [contenteditable]")) return;
  const search = document.getElementById("q");
  if (!search) return;
  event.preventDefault();
  search.focus();
  search.select();
});

// A thumbnail that fails to load leaves its placeholder showing, not a broken-image icon.
document.addEventListener(
  "error",
  (event) => {
    if (event.target instanceof HTMLImageElement) event.target.hidden = true;
  },
  true,
);

// Relative times stay true while the page is open ("just now" becomes "1 min ago"), and the exact
// time reads in the reader's own time zone. The wording is dashboard/display.py's when().
function ago(then, now) {
  const seconds = Math.trunc((now - then) / 1000);
  if (Math.abs(seconds) < 45) return "just now";
  const span = Math.abs(seconds);
  let text;
  if (span < 3600) {
    text = `${Math.max(1, Math.floor((span + 30) / 60))} min`;
  } else if (span < 86400) {
    text = `${Math.floor(span / 3600)} h`;
  } else {
    const days = Math.floor(span / 86400);
    for (const [size, unit] of [[365, "year"], [30, "month"], [7, "week"], [1, "day"]]) {
      if (days >= size) {
        const amount = Math.floor(days / size);
        text = `${amount} ${unit}${amount > 1 ? "s" : ""}`;
        break;
      }
    }
  }
  return seconds > 0 ? `${text} ago` : `in ${text}`;
}

function when(then, live, now) {
  const text = ago(then, now);
  if (live === "live") return `started ${text}`;
  if (live === "upcoming") return then > now ? `starts ${text}` : `announced ${text}`;
  return text;
}

const exactFormat = new Intl.DateTimeFormat(undefined, {
  day: "numeric",
  month: "short",
  year: "numeric",
  hour: "2-digit",
  minute: "2-digit",
  timeZoneName: "short",
});

function updateTimes(root) {
  const now = Date.now();
  for (const time of root.querySelectorAll("time[data-live]")) {
    const then = Date.parse(time.getAttribute("datetime"));
    if (Number.isNaN(then)) continue;
    const text = when(then, time.dataset.live, now);
    if (time.textContent !== text) time.textContent = text;
    if (!time.dataset.zoned) {
      const exact = exactFormat.format(then);
      time.title = exact;
      const shown = time.parentElement.querySelector(".exact");
      if (shown) shown.textContent = exact;
      time.dataset.zoned = "1";
    }
  }
}

updateTimes(document);
document.addEventListener("htmx:afterSettle", (event) => updateTimes(event.target));
setInterval(() => updateTimes(document), 15000);

// "n" shows the new videos the pill counts, from anywhere on the page (the pill sits above every
// card in the tab order); after "show", focus moves to the results' heading, not the page body.
document.addEventListener("keydown", (event) => {
  if (event.key !== "n" || event.ctrlKey || event.metaKey || event.altKey) return;
  const target = event.target;
  if (target.closest && target.closest("input, textarea, select, [contenteditable]")) return;
  const pill = document.getElementById("pill");
  if (!pill) return;
  event.preventDefault();
  pill.click();
});

// Only the settle of the pill's own request moves focus. (A flag set on its request and cleared by
// any settle could be taken by a banner poll settling in between; CI once saw focus stay put.)
document.addEventListener("htmx:afterSettle", (event) => {
  const config = event.detail && event.detail.requestConfig;
  const source = config && config.elt;
  if (!source || source.id !== "pill") return;
  const heading = document.getElementById("results-heading");
  if (heading) heading.focus({ preventScroll: true });
});

// History: one Back step per search, not per keystroke. The first request of a burst of typing
// pushes an entry and the rest of the burst replaces it; a request for the address already shown
// (Enter after typing, "show") never pushes a copy of it.
const SETTLE_MS = 2500;
let lastTyped = 0;
document.addEventListener("htmx:beforeHistoryUpdate", (event) => {
  const update = event.detail.history;
  const config = event.detail.requestConfig || {};
  const typing = Boolean(config.triggeringEvent && config.triggeringEvent.type === "input");
  const now = Date.now();
  if (update.path === location.pathname + location.search) {
    update.type = "replace";
  } else if (typing && now - lastTyped < SETTLE_MS) {
    update.type = "replace";
  }
  lastTyped = typing ? now : 0;
});

// Position: a reload, or a Back the browser's page cache could not serve, shows as many cards as
// the reader had loaded and returns to where they were. The entry's history.state keeps both.
function cardCount() {
  return document.querySelectorAll("#grid > li.card").length;
}
let restoring = false;
function savePosition() {
  if (restoring || !document.getElementById("results")) return;
  const state = Object.assign({}, history.state, {
    feedCards: cardCount(),
    feedScroll: Math.round(window.scrollY),
  });
  history.replaceState(state, "");
}
let saveTimer = 0;
window.addEventListener(
  "scroll",
  () => {
    clearTimeout(saveTimer);
    saveTimer = setTimeout(savePosition, 200);
  },
  { passive: true },
);
window.addEventListener("pagehide", savePosition);
document.addEventListener("htmx:afterSettle", () => {
  clearTimeout(saveTimer);
  saveTimer = setTimeout(savePosition, 200);
});

function restorePosition() {
  if (!document.getElementById("results")) return;
  if ("scrollRestoration" in history) history.scrollRestoration = "manual";
  const state = history.state;
  if (!state || !state.feedCards) return;
  const scroll = () => {
    window.scrollTo(0, state.feedScroll || 0);
    restoring = false;
  };
  if (state.feedCards <= cardCount() || !window.htmx) {
    scroll();
    return;
  }
  restoring = true;
  const url = new URL(location.href);
  url.searchParams.set("shown", String(state.feedCards));
  window.htmx
    .ajax("GET", url.pathname + url.search, { target: "#results", swap: "outerHTML" })
    .then(scroll, scroll);
}
// After htmx has set up the page (its script comes first, both deferred).
document.addEventListener("DOMContentLoaded", restorePosition);

// "Copy link" copies this grid's address (its href: the search and filters, as the address bar
// shows them) and says so; without JavaScript, or a clipboard, it is a plain link to the page.
document.addEventListener("click", async (event) => {
  const link = event.target.closest && event.target.closest("a[data-copy]");
  if (!link || !navigator.clipboard || event.button !== 0) return;
  if (event.ctrlKey || event.metaKey || event.shiftKey || event.altKey) return;
  event.preventDefault();
  let said;
  try {
    await navigator.clipboard.writeText(link.href);
    said = "Link copied";
  } catch {
    said = "Could not copy: the address bar shows the same link";
  }
  const shown = link.parentElement.querySelector("[data-copied]");
  if (shown) {
    shown.textContent = said;
    shown.hidden = false;
  }
  const announce = document.getElementById("announce");
  if (announce) announce.textContent = said;
});

// The feeds a browser or a reader finds in the head follow the search, as the visible links do.
document.addEventListener("htmx:afterSettle", () => {
  for (const kind of ["atom", "json"]) {
    const visible = document.querySelector(`#results a[data-feed="${kind}"]`);
    const head = document.getElementById(`feed-${kind}`);
    if (visible && head) head.setAttribute("href", visible.getAttribute("href"));
  }
});
