// The phone page: vibrate once per call (a recall is a new call), keep the tab title telling
// where to go, and the two-step "cancel my ticket" (no browser confirm dialog: a second, clear
// button). While that question is open the page does not refresh under the reader's finger.
(function () {
  "use strict";

  var memory = {};

  function remembered(key) {
    try { return window.sessionStorage.getItem(key); } catch (e) { return memory[key] || null; }
  }

  function remember(key, value) {
    try { window.sessionStorage.setItem(key, value); } catch (e) { memory[key] = value; }
  }

  function ticket() { return document.getElementById("ticket"); }

  function confirmOpen() {
    var panel = document.getElementById("cancel-confirm");
    return !!panel && !panel.hidden;
  }

  function showConfirm(open) {
    var panel = document.getElementById("cancel-confirm");
    var ask = document.querySelector("[data-cancel-ask]");
    if (!panel) { return; }
    panel.hidden = !open;
    if (ask) { ask.hidden = open; }
    if (open) {
      panel.scrollIntoView({ block: "center" });
      var yes = panel.querySelector("[data-cancel-confirm]");
      if (yes) { yes.focus(); }
    }
  }

  function update() {
    var el = ticket();
    if (!el) { return; }
    if (el.getAttribute("data-title")) { document.title = el.getAttribute("data-title"); }
    var event = el.getAttribute("data-call-event");
    if (el.getAttribute("data-status") !== "called" || !event) { return; }
    var key = "fq-call:" + location.pathname;
    if (remembered(key) === event) { return; }
    remember(key, event);
    if (navigator.vibrate) {
      try { navigator.vibrate([500, 200, 500, 200, 800]); } catch (e) { /* not allowed: the banner shows */ }
    }
  }

  document.addEventListener("click", function (event) {
    var target = event.target.closest ? event.target : null;
    if (!target) { return; }
    if (target.closest("[data-cancel-ask]")) { showConfirm(true); }
    if (target.closest("[data-cancel-keep]")) { showConfirm(false); }
  });

  // Skip a poll while the cancel question is open; polling goes on afterwards.
  document.addEventListener("htmx:beforeRequest", function (event) {
    var elt = event.detail && event.detail.elt;
    if (elt && elt.id === "ticket" && event.detail.requestConfig &&
        event.detail.requestConfig.verb === "get" && confirmOpen()) {
      event.preventDefault();
    }
  });

  // A refused cancel shows its message at the top; close the question so the page refreshes.
  document.addEventListener("htmx:afterRequest", function (event) {
    var elt = event.detail && event.detail.elt;
    if (elt && elt.matches && elt.matches("form[hx-post]")) { showConfirm(false); }
  });

  // A message (say, "already rated") stays a while, then clears; a tap clears it at once.
  var flashTimer = null;
  document.addEventListener("htmx:afterSwap", function (event) {
    var flash = document.getElementById("flash");
    if (!flash || event.detail.target !== flash) { return; }
    clearTimeout(flashTimer);
    flashTimer = setTimeout(function () { flash.innerHTML = ""; }, 12000);
  });
  document.addEventListener("click", function (event) {
    var flash = document.getElementById("flash");
    if (flash && flash.contains(event.target)) { flash.innerHTML = ""; }
  });

  document.addEventListener("htmx:afterSettle", update);
  update();
}());
