// The call board: announce each new call or recall, one at a time.
//
// The polled fragment (#board) carries the day's latest calls as
//   <li data-announce="<event id>" data-say="请 A012 号 到 3 号窗口">.
// Each event newer than the last one seen is queued; for each: the entry flashes, the chime
// plays, then the text is spoken with a Chinese voice, and the next waits for the end of the
// speech (or a time-out, should the browser never say it ended). Calls already on the board
// when the page loads are not spoken. Without a Chinese voice, or without speech synthesis at
// all, the chime and the flash still mark the call. Nothing is fetched from outside.
(function () {
  "use strict";

  var FLASH_MS = 8000;      // as long as the CSS animation (8 × 1 s)
  var CHIME_MAX_MS = 2500;  // the chime is about 1 s; never wait longer for its "ended"
  var GAP_MS = 600;         // a breath between two announcements

  var seen = -1;            // the newest event id already queued or present at load
  var queue = [];
  var busy = false;
  var flashes = {};         // event id -> time its flash started
  var speaking = null;      // keep the utterance referenced: Chrome may drop an unreferenced one's "end"
  var chime = document.getElementById("chime");
  var overlay = document.getElementById("sound-overlay");

  function wait(ms) { return new Promise(function (resolve) { setTimeout(resolve, ms); }); }

  function showOverlay() { if (overlay) { overlay.hidden = false; } }

  // ---- which calls are new ----------------------------------------------------------------

  function collect(initial) {
    var items = Array.prototype.slice.call(document.querySelectorAll("#board [data-announce]"));
    items.sort(function (a, b) { return +a.getAttribute("data-announce") - +b.getAttribute("data-announce"); });
    items.forEach(function (item) {
      var id = +item.getAttribute("data-announce");
      if (id <= seen) { return; }
      if (!initial) { queue.push({ id: id, text: item.getAttribute("data-say") || "" }); }
      seen = id;
    });
    if (seen < 0) { seen = 0; }
    applyFlashes();
    next();
  }

  // ---- flashing ---------------------------------------------------------------------------

  function applyFlashes() {
    var now = Date.now();
    document.querySelectorAll("#board .call[data-event]").forEach(function (entry) {
      var started = flashes[entry.getAttribute("data-event")];
      if (started && now - started < FLASH_MS) {
        // A re-rendered entry carries on where the old one was instead of starting over.
        entry.style.animationDelay = -(now - started) + "ms";
        entry.classList.add("flash");
      } else {
        entry.classList.remove("flash");
      }
    });
  }

  function flash(id) {
    flashes[id] = Date.now();
    applyFlashes();
    setTimeout(applyFlashes, FLASH_MS + 50);
  }

  // ---- sound ------------------------------------------------------------------------------

  function playChime() {
    return new Promise(function (resolve) {
      if (!chime || !chime.play) { resolve(); return; }
      var done = false;
      var timer = setTimeout(finish, CHIME_MAX_MS);
      function finish() {
        if (done) { return; }
        done = true;
        clearTimeout(timer);
        chime.removeEventListener("ended", finish);
        resolve();
      }
      chime.addEventListener("ended", finish);
      try { chime.currentTime = 0; } catch (e) { /* not loaded yet */ }
      chime.volume = 1;
      var played;
      try { played = chime.play(); } catch (e) { finish(); return; }
      if (played && played.catch) {
        played.catch(function (error) {
          if (error && error.name === "NotAllowedError") { showOverlay(); }
          finish();
        });
      }
    });
  }

  function chineseVoice(synth) {
    var voices = (synth.getVoices && synth.getVoices()) || [];
    if (!voices.length) { return undefined; }  // not listed (yet): let the browser choose for zh-CN
    var lang = function (v) { return (v.lang || "").replace("_", "-").toLowerCase(); };
    var exact = voices.filter(function (v) { return lang(v) === "zh-cn"; });
    var chinese = exact.length ? exact : voices.filter(function (v) { return lang(v).indexOf("zh") === 0; });
    return chinese.length ? chinese[0] : null;
  }

  function speak(text) {
    return new Promise(function (resolve) {
      var synth = window.speechSynthesis;
      if (!text || !synth || typeof window.SpeechSynthesisUtterance !== "function") { resolve(); return; }
      var voice = chineseVoice(synth);
      if (voice === null) { resolve(); return; }  // no Chinese voice: the chime and flash must do
      var utterance = new window.SpeechSynthesisUtterance(text);
      utterance.lang = "zh-CN";
      if (voice) {
        try { utterance.voice = voice; } catch (e) { /* the lang alone still asks for Chinese */ }
      }
      utterance.rate = 0.9;
      var done = false;
      var timer = setTimeout(function () {
        try { synth.cancel(); } catch (e) { /* nothing to stop */ }
        finish();
      }, 4000 + text.length * 400);
      function finish() {
        if (done) { return; }
        done = true;
        clearTimeout(timer);
        speaking = null;
        resolve();
      }
      utterance.onend = finish;
      utterance.onerror = function (event) {
        if (event && event.error === "not-allowed") { showOverlay(); }
        finish();
      };
      speaking = utterance;
      try { synth.speak(utterance); } catch (e) { finish(); }
    });
  }

  // ---- one announcement after another -----------------------------------------------------

  function next() {
    if (busy || !queue.length) { return; }
    busy = true;
    var call = queue.shift();
    flash(String(call.id));
    playChime()
      .then(function () { return speak(call.text); })
      .then(function () { return wait(GAP_MS); })
      .then(function () { busy = false; next(); }, function () { busy = false; next(); });
  }

  // ---- the sound switch (browsers keep sound off until someone touches the page) ----------

  function probeSound() {
    if (!chime || !chime.play) { return; }
    chime.volume = 0;
    var played;
    try { played = chime.play(); } catch (e) { return; }
    if (played && played.then) {
      played.then(function () { chime.pause(); chime.volume = 1; }, function (error) {
        chime.volume = 1;
        if (error && error.name === "NotAllowedError") { showOverlay(); }
      });
    }
  }

  if (overlay) {
    overlay.addEventListener("click", function () {
      overlay.hidden = true;
      var button = document.getElementById("sound-on");
      var text = button && button.getAttribute("data-say");
      queue.unshift({ id: -1, text: text });  // "语音播报已开启": the chime and a voice, heard now
      next();
    });
  }

  // ---- clock and connection ---------------------------------------------------------------

  function startClock() {
    var clock = document.getElementById("clock");
    if (!clock || !window.Intl) { return; }
    var tz = clock.getAttribute("data-tz") || undefined;
    var lang = clock.getAttribute("data-lang") || "zh-CN";
    var dateFormat, timeFormat;
    try {
      dateFormat = new Intl.DateTimeFormat(lang, { timeZone: tz, year: "numeric", month: "long", day: "numeric", weekday: "long" });
      timeFormat = new Intl.DateTimeFormat(lang, { timeZone: tz, hour: "2-digit", minute: "2-digit", hourCycle: "h23" });
    } catch (e) { return; }
    var dateEl = document.getElementById("clock-date");
    var timeEl = document.getElementById("clock-time");
    function tick() {
      var now = new Date();
      dateEl.textContent = dateFormat.format(now);
      timeEl.textContent = timeFormat.format(now);
    }
    tick();
    setInterval(tick, 1000);
  }

  var offline = document.getElementById("offline-note");
  document.addEventListener("htmx:sendError", function () { if (offline) { offline.hidden = false; } });
  document.addEventListener("htmx:afterRequest", function (event) {
    if (offline && event.detail && event.detail.xhr && event.detail.xhr.status) { offline.hidden = true; }
  });

  document.addEventListener("htmx:afterSettle", function () { collect(false); });
  collect(true);
  startClock();
  probeSound();
}());
