// The member's pass: fetches the next code a few seconds before the shown one expires
// (the server says when, data-refresh-at) and swaps it in; keeps the screen on where the
// browser allows. Offline, or when the shown code can no longer open the door
// (data-valid-until), it shows the note and, if there is one, the printed card's code.
(function () {
  "use strict";
  var root = document.getElementById("pass");
  if (!root) return;
  var url = root.dataset.codeUrl;
  var timer = null;

  function current() { return document.getElementById("pass-code"); }

  function stale(on) {
    root.querySelectorAll("[data-pass-stale], [data-pass-card]").forEach(function (el) { el.hidden = !on; });
    root.querySelectorAll("[data-pass-online]").forEach(function (el) { el.hidden = on; });
    var code = current();
    if (code) code.classList.toggle("expired", on);
  }

  function expired() {
    var code = current();
    return !code || Date.now() / 1000 >= Number(code.dataset.validUntil);
  }

  // After a failed fetch (offline) try again every 10 s; "online" retries at once.
  function schedule(failed) {
    clearTimeout(timer);
    var code = current();
    var wait = code ? Number(code.dataset.refreshAt) * 1000 - Date.now() : 0;
    timer = setTimeout(refresh, Math.max(wait, failed ? 10000 : 1000));
  }

  function refresh() {
    fetch(url, {credentials: "same-origin", cache: "no-store", headers: {"Accept": "text/html"}})
      .then(function (r) { if (!r.ok) throw new Error(r.status); return r.text(); })
      .then(function (html) {
        var holder = document.createElement("template");
        holder.innerHTML = html.trim();
        var fresh = holder.content.getElementById("pass-code");
        if (!fresh) throw new Error("no code");
        current().replaceWith(fresh);
        stale(false);
        schedule(false);
      })
      .catch(function () {
        stale(expired() || !navigator.onLine);
        schedule(true);
      });
  }

  function keepAwake() {
    if (!("wakeLock" in navigator) || document.visibilityState !== "visible") return;
    navigator.wakeLock.request("screen").catch(function () { /* not allowed: fine */ });
  }

  document.addEventListener("visibilitychange", function () {
    if (document.visibilityState === "visible") { refresh(); keepAwake(); }
  });
  window.addEventListener("online", refresh);
  window.addEventListener("offline", function () { stale(true); });
  // A copy kept by the service worker, opened later: the code in it is old.
  if (!navigator.onLine || expired()) { stale(true); refresh(); } else { schedule(false); }
  keepAwake();
  // Check the shown code's validity every few seconds (a phone that slept misses timers).
  setInterval(function () { if (expired()) stale(true); }, 5000);
})();
