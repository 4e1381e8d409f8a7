// The bell in the dashboard nav: its unread count. The page renders the count (the
// truth); live updates come from whoever listens to /ws/me/, through this hook:
//   window.gymBell.set(n)      show n unread
//   window.gymBell.add(delta)  e.g. +1 on "notification.created"
// or, without a reference to this script, dispatch on document:
//   document.dispatchEvent(new CustomEvent("notifications:unread", {detail: {count: n}}))
//   document.dispatchEvent(new CustomEvent("notifications:created", {detail: payload}))
(function () {
  "use strict";
  var bell = document.querySelector("[data-notifications-bell]");
  if (!bell) return;
  var badge = bell.querySelector("[data-unread-count]");
  var label = bell.getAttribute("data-label") || "Notifications";
  var template = bell.getAttribute("data-label-unread") || "Notifications (%s unread)";
  function set(n) {
    n = Math.max(0, parseInt(n, 10) || 0);
    bell.setAttribute("data-unread", String(n));
    badge.textContent = n > 99 ? "99+" : String(n);
    badge.hidden = n === 0;
    bell.setAttribute("aria-label", n ? template.replace("%s", String(n)) : label);
  }
  function add(delta) {
    set((parseInt(bell.getAttribute("data-unread"), 10) || 0) + delta);
  }
  window.gymBell = { set: set, add: add };
  document.addEventListener("notifications:unread", function (e) {
    if (e.detail && typeof e.detail.count === "number") set(e.detail.count);
  });
  document.addEventListener("notifications:created", function () { add(1); });
})();
