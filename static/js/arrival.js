// Arrival (我有预约): the scanner's field and the check-in keypad.
//
// A keyboard-wedge scanner types the appointment's URL (…/a/<token>) or token and then Enter
// into whatever has the focus. The scan field keeps the focus (given back after every tap, and
// keys typed elsewhere are sent to it), and its inputmode="none" keeps any on-screen keyboard
// away. Enter submits it once.
(function () {
  "use strict";

  var scan = document.getElementById("scan");
  var scanForm = document.getElementById("scan-form");
  var scanArea = scanForm ? scanForm.parentNode : null;
  var overlay = document.getElementById("idle-overlay");

  function overlayOpen() { return overlay && !overlay.hidden; }

  function keepFocus() {
    if (!scan || overlayOpen() || document.activeElement === scan) { return; }
    scan.focus({ preventScroll: true });
  }

  if (scan && scanForm) {
    scan.value = "";
    scanForm.addEventListener("submit", function (e) {
      if (scanForm.getAttribute("data-sent") || !scan.value.trim()) { e.preventDefault(); scan.value = ""; return; }
      scanForm.setAttribute("data-sent", "1");
      if (scanArea) { scanArea.classList.add("busy"); }
    });
    scan.addEventListener("focus", function () { if (scanArea) { scanArea.classList.remove("lost"); } });
    scan.addEventListener("blur", function () {
      if (scanArea) { scanArea.classList.add("lost"); }
      setTimeout(keepFocus, 0);
    });
    // After any tap (a keypad key, the idle overlay's button), the scanner's field has the focus again.
    document.addEventListener("click", function () { setTimeout(keepFocus, 0); }, true);
    // Keys that land elsewhere go to the scanner's field.
    document.addEventListener("keydown", function (e) {
      if (e.target === scan || e.ctrlKey || e.metaKey || e.altKey || overlayOpen()) { return; }
      if (e.key === "Enter") {
        if (scan.value) { e.preventDefault(); scanForm.requestSubmit(); }
        return;
      }
      if (e.key && e.key.length === 1) {
        e.preventDefault();
        scan.focus({ preventScroll: true });
        scan.value += e.key;
      }
    }, true);
    window.addEventListener("pageshow", keepFocus);
    keepFocus();
  }

  // ---- the keypad: last 4 digits of the phone, then the 6-digit code ---------------------------
  var codeForm = document.getElementById("code-form");
  if (!codeForm) { return; }
  var fields = Array.prototype.slice.call(codeForm.querySelectorAll(".code-field"));
  var active = fields[0];

  function inputOf(field) { return field.querySelector("input"); }
  function limitOf(field) { return parseInt(inputOf(field).getAttribute("data-digits"), 10); }
  function digitsOf(field) { return inputOf(field).value.replace(/\D/g, ""); }

  function choose(field) {
    active = field;
    fields.forEach(function (f) { f.classList.toggle("active", f === field); });
  }

  // Numbers that matched nothing come back to be corrected: the keys go on in the first field
  // that is not full (the code's, when both are), so ⌫ takes the last digit typed.
  choose(fields.filter(function (f) { return digitsOf(f).length < limitOf(f); })[0] || fields[fields.length - 1]);

  fields.forEach(function (field) {
    field.addEventListener("click", function (e) { e.preventDefault(); choose(field); });
    // Read-only display: never let a system keyboard open on it.
    inputOf(field).addEventListener("focus", function () { inputOf(field).blur(); });
  });

  codeForm.querySelectorAll("[data-code-key]").forEach(function (key) {
    key.addEventListener("click", function () {
      var what = key.getAttribute("data-code-key");
      var index = fields.indexOf(active);
      var digits = digitsOf(active);
      if (what === "clear") {
        fields.forEach(function (f) { inputOf(f).value = ""; });
        choose(fields[0]);
        return;
      }
      if (what === "delete") {
        if (!digits && index > 0) { choose(fields[index - 1]); digits = digitsOf(active); }
        inputOf(active).value = digits.slice(0, -1);
        return;
      }
      if (digits.length >= limitOf(active)) {
        if (index + 1 >= fields.length) { return; }
        choose(fields[index + 1]);
        digits = digitsOf(active);
      }
      inputOf(active).value = digits + what;
      if ((digits + what).length >= limitOf(active) && index + 1 < fields.length) { choose(fields[index + 1]); }
    });
  });

  codeForm.addEventListener("submit", function (e) {
    if (codeForm.getAttribute("data-sent")) { e.preventDefault(); return; }
    codeForm.setAttribute("data-sent", "1");
  });
})();
