// The kiosk's behaviour: the on-screen keypad, one tap = one ticket, print, and the idle reset.
// Settings come from data attributes on #kiosk (see templates/kiosk/layout.html):
//   data-idle-seconds  seconds without a touch before the screen goes home by itself
//   data-home-url      where it goes (the home screen, in Chinese)
//   data-screen        home | service | ticket
//   data-autoprint     1: print the ticket once on load (Chromium --kiosk-printing prints silently)
//   data-health-url    asked before the kiosk leaves a page (see "when the server does not answer")
(function () {
  "use strict";

  var root = document.getElementById("kiosk");
  if (!root) { return; }

  // Coming back through the browser's cache would show stale data (and a used form): reload.
  window.addEventListener("pageshow", function (e) { if (e.persisted) { window.location.reload(); } });

  // ---- no zoom, no selection, no long-press menu --------------------------------------------
  document.addEventListener("contextmenu", function (e) { e.preventDefault(); });
  document.addEventListener("selectstart", function (e) { e.preventDefault(); });
  document.addEventListener("gesturestart", function (e) { e.preventDefault(); });
  document.addEventListener("touchmove", function (e) {
    if (e.touches && e.touches.length > 1) { e.preventDefault(); }
  }, { passive: false });

  // ---- the keypad -----------------------------------------------------------------------------
  var phone = document.getElementById("phone");
  var MAX_DIGITS = 11;

  function digitsOf(text) { return (text || "").replace(/\D/g, "").slice(0, MAX_DIGITS); }

  // 13812341234 -> "138 1234 1234": how a mobile number is read aloud and checked.
  function grouped(digits) {
    var parts = [digits.slice(0, 3), digits.slice(3, 7), digits.slice(7, 11)];
    return parts.filter(function (p) { return p; }).join(" ");
  }

  if (phone) {
    phone.value = grouped(digitsOf(phone.value));
    root.querySelectorAll(".keypad [data-key]").forEach(function (key) {
      key.addEventListener("click", function () {
        var digits = digitsOf(phone.value);
        var what = key.getAttribute("data-key");
        if (what === "delete") { digits = digits.slice(0, -1); }
        else if (what === "clear") { digits = ""; }
        else if (digits.length < MAX_DIGITS) { digits += what; }
        phone.value = grouped(digits);
      });
    });
    // The field only shows what the keys typed: never let a system keyboard open on it.
    phone.addEventListener("focus", function () { phone.blur(); });
  }

  // ---- one tap, one ticket (the server's request_key also makes a repeat return the same) ----
  var form = document.getElementById("take-form");
  if (form) {
    form.addEventListener("submit", function (e) {
      if (form.getAttribute("data-sent")) { e.preventDefault(); return; }
      form.setAttribute("data-sent", "1");
      var button = document.getElementById("take-button");
      // Disable after the submit has started, so that the submission itself goes through.
      if (button) { setTimeout(function () { button.disabled = true; }, 0); }
    });
  }

  // ---- printing ---------------------------------------------------------------------------------
  root.querySelectorAll("[data-action=print]").forEach(function (button) {
    button.addEventListener("click", function () { window.print(); });
  });
  if (root.getAttribute("data-autoprint") === "1") {
    window.addEventListener("load", function () { setTimeout(function () { window.print(); }, 200); });
  }

  // ---- when the server does not answer ------------------------------------------------------------
  // A page the browser cannot load ends on its own error page, in English, with no keyboard to
  // get away from it. So before the kiosk leaves a page (a tapped link, a form that is not htmx,
  // the idle reset) it asks the server first; when there is no answer it stays here and shows its
  // own reconnecting screen (#reconnect), asks again every few seconds, and goes home once the
  // server answers. A failed htmx request (a poll, a tap) shows the same screen.
  var healthUrl = root.getAttribute("data-health-url");
  var startUrl = root.getAttribute("data-home-url");
  var reconnectBox = document.getElementById("reconnect");
  var CHECK_TIMEOUT_MS = 4000;
  var RETRY_MS = 3000;
  var reconnecting = false;

  function serverAnswers() {
    if (!healthUrl || !window.fetch) { return Promise.resolve(true); }
    var controller = window.AbortController ? new AbortController() : null;
    var timer = controller ? setTimeout(function () { controller.abort(); }, CHECK_TIMEOUT_MS) : null;
    return fetch(healthUrl, { cache: "no-store", credentials: "same-origin",
                              signal: controller ? controller.signal : undefined })
      .then(function (response) { return response.ok; }, function () { return false; })
      .then(function (ok) { if (timer) { clearTimeout(timer); } return ok; });
  }

  function showReconnecting() {
    if (reconnecting) { return; }
    reconnecting = true;
    var idle = document.getElementById("idle-overlay");
    if (idle) { idle.hidden = true; }
    if (reconnectBox) { reconnectBox.hidden = false; }
    (function retry() {
      setTimeout(function () {
        serverAnswers().then(function (ok) {
          if (ok) { window.location.replace(startUrl || "/"); } else { retry(); }
        });
      }, RETRY_MS);
    }());
  }

  // Leave the page by `go` once the server answers; otherwise the reconnecting screen.
  function whenServerAnswers(go) {
    if (reconnecting) { return; }
    serverAnswers().then(function (ok) { if (ok) { go(); } else { showReconnecting(); } });
  }

  // Taps on links (after the page's own handlers, which may keep the tap for themselves).
  document.addEventListener("click", function (e) {
    if (e.defaultPrevented || e.button !== 0 || e.ctrlKey || e.metaKey || e.shiftKey || e.altKey) { return; }
    var link = e.target && e.target.closest ? e.target.closest("a[href]") : null;
    if (!link || link.target && link.target !== "_self" || link.hasAttribute("download")) { return; }
    if (link.origin !== window.location.origin || !/^https?:$/.test(link.protocol)) { return; }
    if (link.pathname === window.location.pathname && link.search === window.location.search && link.hash) { return; }
    e.preventDefault();
    whenServerAnswers(function () { window.location.assign(link.href); });
  });

  // Whole-page forms (htmx forms have already taken their submit): sent once the server answers.
  document.addEventListener("submit", function (e) {
    var form = e.target;
    if (e.defaultPrevented || !form || form.tagName !== "FORM" || form.target && form.target !== "_self") { return; }
    e.preventDefault();
    var submitter = e.submitter;
    whenServerAnswers(function () {
      if (submitter && submitter.name) {  // form.submit() sends no button: carry its value
        var carried = document.createElement("input");
        carried.type = "hidden";
        carried.name = submitter.name;
        carried.value = submitter.value;
        form.appendChild(carried);
      }
      HTMLFormElement.prototype.submit.call(form);
    });
  });

  document.addEventListener("htmx:sendError", showReconnecting);
  document.addEventListener("htmx:timeout", showReconnecting);
  document.addEventListener("htmx:responseError", function (e) {
    var status = e.detail && e.detail.xhr ? e.detail.xhr.status : 0;
    if (status === 0 || status === 502 || status === 503 || status === 504) { showReconnecting(); }
  });

  // ---- idle reset -------------------------------------------------------------------------------
  var screen = root.getAttribute("data-screen");
  var homeUrl = root.getAttribute("data-home-url");
  var idleSeconds = parseInt(root.getAttribute("data-idle-seconds"), 10);
  if (!homeUrl || !(idleSeconds > 0)) { return; }

  if (screen === "home") {
    // The home screen waits for the next person; it only switches English back to Chinese.
    if (root.getAttribute("data-english") !== "1") { return; }
  }

  var overlay = document.getElementById("idle-overlay");
  var count = document.getElementById("idle-count");
  var more = document.getElementById("idle-more");
  // Warn for the last ~8 seconds (less when the idle time itself is short).
  var warnSeconds = Math.min(8, Math.max(1, Math.ceil(idleSeconds / 2)));
  var deadline = 0;
  var ticker = null;
  var leaving = false;

  function goHome() {
    if (leaving || reconnecting) { return; }
    leaving = true;
    whenServerAnswers(function () { window.location.replace(homeUrl); });
  }

  function hideOverlay() {
    if (overlay && !overlay.hidden) { overlay.hidden = true; }
  }

  function tick() {
    if (reconnecting) { return; }  // the reconnecting screen goes home by itself
    var left = Math.ceil((deadline - Date.now()) / 1000);
    if (left <= 0) { goHome(); return; }
    if (screen !== "home" && overlay && left <= warnSeconds) {
      if (count) { count.textContent = String(left); }
      if (overlay.hidden) {
        overlay.hidden = false;
        if (more) { more.focus({ preventScroll: true }); }
      }
    }
  }

  function reset() {
    if (leaving || reconnecting) { return; }
    deadline = Date.now() + idleSeconds * 1000;
    hideOverlay();
  }

  ["pointerdown", "touchstart", "keydown", "wheel"].forEach(function (type) {
    document.addEventListener(type, reset, { passive: true, capture: true });
  });
  if (more) { more.addEventListener("click", reset); }

  reset();
  ticker = setInterval(tick, 250);
  window.addEventListener("pagehide", function () { clearInterval(ticker); });
})();
