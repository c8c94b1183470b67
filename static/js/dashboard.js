// The few things htmx attributes can't do. No inline scripts anywhere: the pages keep a strict CSP.
"use strict";

// A one-key shortcut acting on the element `id`, unless the reader is typing somewhere already,
// the player is open, or the page has no such element (then the key does what it always does).
function shortcut(key, id, act) {
  document.addEventListener("keydown", (event) => {
    if (event.key !== key || event.ctrlKey || event.metaKey || event.altKey) return;
    if (playerOpen()) return;
    const target = event.target;
    if (target.closest && target.closest("input, textarea, select, [contenteditable]")) return;
    const element = document.getElementById(id);
    if (!element) return;
    event.preventDefault();
    act(element);
  });
}

// "/" focuses the search box.
shortcut("/", "q", (search) => {
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

// The exact time in the server's shape ("28 Nov 2026, 15:59 UTC"), in the reader's zone, made by
// hand: the first Intl.DateTimeFormat of a page costs 30-60 ms of main thread (ICU loads its
// data), the largest part of the grid's Total Blocking Time on a throttled phone.
const MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];

function two(number) {
  return String(number).padStart(2, "0");
}

function exactTime(then) {
  const date = new Date(then);
  const offset = -date.getTimezoneOffset();
  const size = Math.abs(offset);
  const minutes = size % 60 ? `:${two(size % 60)}` : "";
  const zone = offset ? `UTC${offset > 0 ? "+" : "-"}${Math.floor(size / 60)}${minutes}` : "UTC";
  const day = `${two(date.getDate())} ${MONTHS[date.getMonth()]} ${date.getFullYear()}`;
  return `${day}, ${two(date.getHours())}:${two(date.getMinutes())} ${zone}`;
}

function updateTimes(root) {
  const now = Date.now();
  for (const time of root.querySelectorAll("time[data-live]")) {
    const then = Date.parse(time.getAttribute("datetime"));
    if (Number.isNaN(then)) continue;
    const text = when(then, time.dataset.live, now);
    if (time.textContent !== text) time.textContent = text;
    if (!time.dataset.zoned) {
      // Written only where the zone changes it: an unchanged text written again still costs
      // the page a new layout of every card (a phone shows the exact time in each).
      const exact = exactTime(then);
      if (time.title !== exact) time.title = exact;
      const shown = time.parentElement.querySelector(".exact");
      if (shown && shown.textContent !== exact) shown.textContent = exact;
      time.dataset.zoned = "1";
    }
  }
}

updateTimes(document);
document.addEventListener("htmx:afterSettle", (event) => updateTimes(event.target));
setInterval(() => updateTimes(document), 15000);

// "n" shows the new videos the pill counts, from anywhere on the page (the pill sits above every
// card in the tab order); after "show", focus moves to the results' heading, not the page body.
shortcut("n", "pill", (pill) => pill.click());

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

// Play in place: a card's thumbnail opens the video in the player dialog, YouTube's
// privacy-enhanced embed (the CSP's frame-src allows that one origin). Delegated from the
// document, so cards added by scrolling or by the pill play too. A modified click (new tab,
// new window) and the no-JavaScript page keep the link's own target: the video on YouTube.
const EMBED = "https://www.youtube-nocookie.com/embed/";
let opener = null;

function playerOpen() {
  const player = document.getElementById("player");
  return Boolean(player && player.open);
}

function focusables(root) {
  return Array.from(root.querySelectorAll("a[href], button, iframe, [tabindex]")).filter(
    (node) => node.tabIndex >= 0 && !node.disabled && node.getClientRects().length > 0,
  );
}

function openPlayer(link) {
  const player = document.getElementById("player");
  if (!player || typeof player.showModal !== "function") return false;
  const card = link.closest(".card");
  const titleLink = card && card.querySelector(".title a");
  const title = titleLink ? titleLink.textContent.trim() : link.textContent.trim();
  const frame = document.createElement("iframe");
  frame.src = `${EMBED}${encodeURIComponent(link.dataset.play)}?autoplay=1`;
  frame.title = `Video player: ${title}`;
  frame.allow = "autoplay; encrypted-media; picture-in-picture; fullscreen";
  frame.allowFullscreen = true;
  // The site sends no referrer to other origins (Django's "same-origin"); YouTube's embed
  // refuses to play without one, so the frame sends just our origin.
  frame.referrerPolicy = "strict-origin-when-cross-origin";
  player.querySelector("#player-title").textContent = title;
  player.querySelector(".player-frame").replaceChildren(frame);
  player.querySelector(".player-youtube").href = link.href;
  opener = link;
  player.showModal();
  player.querySelector("[data-close]").focus();
  return true;
}

document.addEventListener("click", (event) => {
  if (event.defaultPrevented || event.button !== 0) return;
  if (event.ctrlKey || event.metaKey || event.shiftKey || event.altKey) return;
  const link = event.target.closest && event.target.closest("a[data-play]");
  if (!link) return;
  if (openPlayer(link)) event.preventDefault();
});

document.addEventListener("click", (event) => {
  if (event.target.closest && event.target.closest("#player [data-close]")) {
    document.getElementById("player").close();
  }
});

// Escape closes a modal dialog natively ("cancel", then "close"); every way of closing ends here:
// the frame goes (the video stops) and focus returns to the thumbnail that opened it, or to the
// same card's thumbnail if a swap has replaced that card meanwhile.
document.addEventListener(
  "close",
  (event) => {
    const player = event.target;
    if (!(player instanceof HTMLDialogElement) || player.id !== "player") return;
    player.querySelector(".player-frame").replaceChildren();
    let target = opener;
    if (target && !target.isConnected) {
      target = document.querySelector(`a[data-play="${CSS.escape(target.dataset.play)}"]`);
    }
    opener = null;
    if (target) target.focus();
  },
  true,
);

// Tab and Shift+Tab cycle within the open player: from its last control back to its first and
// the other way round. (The modal dialog makes the page inert, but the browser would otherwise
// let focus leave the page for its own toolbar.) Focus inside the frame is the frame's own;
// leaving it forwards or backwards lands on the dialog's next or previous control.
document.addEventListener("keydown", (event) => {
  if (event.key !== "Tab" || !playerOpen()) return;
  const player = document.getElementById("player");
  const items = focusables(player);
  if (!items.length) return;
  const first = items[0];
  const last = items[items.length - 1];
  const active = document.activeElement;
  if (event.shiftKey && (active === first || !player.contains(active))) {
    event.preventDefault();
    last.focus();
  } else if (!event.shiftKey && (active === last || !player.contains(active))) {
    event.preventDefault();
    first.focus();
  }
});
