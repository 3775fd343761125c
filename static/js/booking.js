// The booking screens (kiosk and phone): a form sent once (a double tap books once; the
// server's request_key makes sure of it too). The kiosk's keypad, print and idle reset are
// kiosk.js's; htmx forms disable their button themselves (hx-disabled-elt).
(function () {
  "use strict";
  var kiosk = document.getElementById("kiosk");

  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (!form || !form.matches || !form.matches("form[data-once]")) { return; }
    if (form.hasAttribute("hx-post")) { return; }
    if (kiosk && form.id === "take-form") { return; }  // kiosk.js guards this one
    if (form.getAttribute("data-sending")) { event.preventDefault(); return; }
    form.setAttribute("data-sending", "1");
    var button = form.querySelector("button[type=submit]");
    if (button) { setTimeout(function () { button.disabled = true; }, 0); }
  }, true);

  // Back through the browser's cache would show a used form: reload it.
  window.addEventListener("pageshow", function (e) { if (e.persisted) { window.location.reload(); } });
}());
