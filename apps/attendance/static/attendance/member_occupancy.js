// "How busy is it now": re-reads the small "now" block every data-every seconds while the
// page is visible (the live socket is for staff; this is one cheap request).
(function () {
  "use strict";
  var root = document.getElementById("occupancy");
  if (!root) return;
  var every = Math.max(Number(root.dataset.every) || 30, 10) * 1000;

  function refresh() {
    if (document.visibilityState !== "visible") return;
    fetch(root.dataset.url, {credentials: "same-origin", cache: "no-store"})
      .then(function (r) { if (!r.ok) throw new Error(r.status); return r.text(); })
      .then(function (html) {
        var holder = document.createElement("template");
        holder.innerHTML = html.trim();
        var fresh = holder.content.getElementById("occupancy-now");
        var old = document.getElementById("occupancy-now");
        if (fresh && old) old.replaceWith(fresh);
      })
      .catch(function () { /* offline: keep the last figure */ });
  }

  setInterval(refresh, every);
  document.addEventListener("visibilitychange", refresh);
})();
