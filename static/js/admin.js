// The reception console: F2 (or N) presses "Call next"; polling pauses while a transfer form is
// open or a field in the live list has focus, so a swap never throws away what is being typed;
// a message in #flash fades after a few seconds (a click dismisses it at once).
(function () {
  "use strict";

  function typing(element) {
    return element && (/^(INPUT|SELECT|TEXTAREA)$/.test(element.tagName) || element.isContentEditable);
  }

  window.hallConsoleMayPoll = function () {
    var live = document.getElementById("console-live");
    if (!live) { return false; }
    if (live.querySelector("details[open]")) { return false; }
    return !(typing(document.activeElement) && live.contains(document.activeElement));
  };

  document.addEventListener("keydown", function (event) {
    var button = document.getElementById("call-next");
    if (!button || button.disabled || event.ctrlKey || event.metaKey || event.altKey) { return; }
    var isN = (event.key === "n" || event.key === "N") && !typing(event.target);
    if (event.key === "F2" || isN) {
      event.preventDefault();
      button.click();
    }
  });

  var timer = null;
  function fadeLater() {
    var flash = document.getElementById("flash");
    if (!flash || !flash.textContent.trim()) { return; }
    clearTimeout(timer);
    timer = setTimeout(function () { flash.innerHTML = ""; }, 6000);
  }

  document.addEventListener("DOMContentLoaded", function () {
    var flash = document.getElementById("flash");
    if (!flash) { return; }
    flash.addEventListener("click", function () { flash.innerHTML = ""; });
    new MutationObserver(fadeLater).observe(flash, { childList: true, subtree: true });
    fadeLater();
  });
})();
