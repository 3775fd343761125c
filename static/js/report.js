// Residents' own reports. Everything works without this file; it only makes each screen easier:
//  - kiosk: the form's two panels one at a time (what it is about, then the phone), the header's
//    Back going to the first panel, and writing with the system's handwriting or pinyin input
//    counting as activity for the idle reset (kiosk.js owns the keypad, print and idle reset);
//  - phone form: photos chosen one by one from the camera add up (at most data-max), each shown
//    with a way to remove it, and a large photo is made smaller before it is sent;
//  - the report's page: its poll waits while the resident is typing or choosing.
(function () {
  "use strict";

  // ---- kiosk: two panels ------------------------------------------------------------------------
  var form = document.querySelector("form.report-form");
  if (form) {
    var panels = Array.prototype.slice.call(form.querySelectorAll("[data-panel-name]"));
    var problem = document.getElementById("describe-problem");
    form.setAttribute("data-js", "1");

    var summarise = function () {
      var summary = document.getElementById("report-summary");
      if (!summary) { return; }
      var parts = Array.prototype.map.call(form.querySelectorAll("input[name=phrase]:checked"), function (box) {
        return box.parentNode.textContent.trim();
      });
      var text = form.querySelector("textarea[name=text]");
      if (text && text.value.trim()) { parts.push(text.value.trim()); }
      summary.textContent = parts.join(form.getAttribute("data-separator") || "; ");
    };
    var show = function (name) {
      if (name === "contact") { summarise(); }
      form.setAttribute("data-panel", name);
      panels.forEach(function (panel) { panel.hidden = panel.getAttribute("data-panel-name") !== name; });
      window.scrollTo(0, 0);
    };
    var described = function () {
      var text = form.querySelector("textarea[name=text]");
      return !!form.querySelector("input[name=phrase]:checked") || !!(text && text.value.trim());
    };

    show(form.getAttribute("data-panel") || "describe");
    form.addEventListener("click", function (event) {
      var go = event.target.closest && event.target.closest("[data-panel-go]");
      if (!go) { return; }
      if (!described()) {
        if (problem) { problem.textContent = form.getAttribute("data-empty-message"); problem.hidden = false; }
        window.scrollTo(0, 0);
        return;
      }
      if (problem) { problem.hidden = true; }
      show(go.getAttribute("data-panel-go"));
    });
    form.addEventListener("change", function () {
      if (problem && described()) { problem.hidden = true; }
    });
    // The header's Back: from the phone back to the description, not out of the form.
    var back = document.querySelector(".kiosk-back");
    if (back) {
      back.addEventListener("click", function (event) {
        if (form.getAttribute("data-panel") === "contact") { event.preventDefault(); show("describe"); }
      });
    }
    // The form of address opens below the keypad: bring it into view, then the send button.
    var names = form.querySelector("details.name-pick");
    if (names) {
      names.addEventListener("toggle", function () {
        if (names.open) { names.scrollIntoView({ block: "start", behavior: "smooth" }); }
      });
      form.addEventListener("change", function (event) {
        if (event.target && event.target.name === "address") {
          var send = document.getElementById("take-button");
          if (send) { send.scrollIntoView({ block: "end", behavior: "smooth" }); }
        }
      });
    }
    // A handwriting or pinyin panel types without touching the page: count it as activity.
    form.addEventListener("input", function (event) {
      if (event.target && event.target.tagName === "TEXTAREA") {
        document.dispatchEvent(new KeyboardEvent("keydown", { bubbles: true }));
      }
    });
  }

  // ---- phone: photos --------------------------------------------------------------------------------
  var MAX_SIDE = 1600;
  var SHRINK_OVER = 1024 * 1024;  // bytes: smaller photos go as they are

  function shrink(file) {
    if (!window.createImageBitmap || !/^image\/(jpeg|png|webp)$/.test(file.type) || file.size <= SHRINK_OVER) {
      return Promise.resolve(file);
    }
    return createImageBitmap(file).then(function (bitmap) {
      var scale = Math.min(1, MAX_SIDE / Math.max(bitmap.width, bitmap.height));
      var canvas = document.createElement("canvas");
      canvas.width = Math.round(bitmap.width * scale);
      canvas.height = Math.round(bitmap.height * scale);
      canvas.getContext("2d").drawImage(bitmap, 0, 0, canvas.width, canvas.height);
      return new Promise(function (resolve) {
        canvas.toBlob(function (blob) {
          if (!blob) { resolve(file); return; }
          resolve(new File([blob], file.name.replace(/\.[^.]*$/, "") + ".jpg", { type: "image/jpeg" }));
        }, "image/jpeg", 0.85);
      });
    }).catch(function () { return file; });  // the server checks and says what is wrong
  }

  function setupPhotos(input) {
    if (input.getAttribute("data-ready") || typeof DataTransfer === "undefined") { return; }
    input.setAttribute("data-ready", "1");
    var max = parseInt(input.getAttribute("data-max"), 10) || 3;
    var list = document.getElementById("photo-previews");
    var chosen = [];

    function render() {
      var transfer = new DataTransfer();
      chosen.forEach(function (file) { transfer.items.add(file); });
      input.files = transfer.files;
      if (!list) { return; }
      list.innerHTML = "";
      chosen.forEach(function (file, index) {
        var item = document.createElement("li");
        var img = document.createElement("img");
        img.alt = "";
        img.src = URL.createObjectURL(file);
        var remove = document.createElement("button");
        remove.type = "button";
        remove.textContent = "×";
        remove.setAttribute("aria-label", (list.getAttribute("data-remove") || "Remove") + " " + (index + 1));
        remove.addEventListener("click", function () { chosen.splice(index, 1); render(); });
        item.appendChild(img);
        item.appendChild(remove);
        list.appendChild(item);
      });
    }

    input.addEventListener("change", function () {
      var added = Array.prototype.slice.call(input.files || []);
      var button = input.form && input.form.querySelector("button[type=submit]");
      if (button) { button.disabled = true; }
      var note = document.getElementById("photos-note");
      Promise.all(added.map(shrink)).then(function (files) {
        var total = chosen.length + files.length;
        chosen = chosen.concat(files).slice(0, max);
        if (note) { note.hidden = total <= max; }
        render();
      }).finally(function () { if (button) { button.disabled = false; } });
    });
  }

  function setupAll() {
    var input = document.getElementById("photos");
    if (input) { setupPhotos(input); }
  }
  setupAll();
  document.addEventListener("htmx:afterSettle", function (event) {
    setupAll();
    // A refused form: bring its first problem into view (the message at the top says why).
    var target = event.detail && event.detail.elt;
    if (target && target.id === "report-form") {
      var wrong = target.querySelector(".field-error:not([hidden])");
      if (wrong) { wrong.scrollIntoView({ block: "center" }); }
    }
  });

  // ---- the report's page: no refresh under the reader's fingers -------------------------------------
  document.addEventListener("htmx:beforeRequest", function (event) {
    var elt = event.detail && event.detail.elt;
    if (!elt || elt.id !== "report" || !event.detail.requestConfig || event.detail.requestConfig.verb !== "get") {
      return;
    }
    var busy = Array.prototype.some.call(elt.querySelectorAll("textarea"), function (t) { return t.value.trim(); }) ||
      !!elt.querySelector("input[type=radio]:checked") ||
      (document.activeElement && elt.contains(document.activeElement) && document.activeElement.closest("form"));
    if (busy) { event.preventDefault(); }
  });

  // Back through the browser's cache would show a used form: reload it.
  window.addEventListener("pageshow", function (e) { if (e.persisted) { window.location.reload(); } });
}());
