// The member app's shell: registers the service worker (installable, pass offline) and
// asks it to forget kept pages on logout.
(function () {
  "use strict";
  var script = document.currentScript;
  if (!("serviceWorker" in navigator) || !script) return;
  navigator.serviceWorker.register(script.dataset.sw).catch(function () { /* http without localhost: no SW */ });
  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (form.matches("form[action$='/logout/']") && navigator.serviceWorker.controller) {
      navigator.serviceWorker.controller.postMessage("logout");
    }
  });
})();
