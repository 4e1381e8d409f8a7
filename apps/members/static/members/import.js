// The progress of a member import: reads the import's JSON every 2 s and shows it; when
// the import has finished, loads the page again (it then shows the result).
(function () {
  "use strict";
  var box = document.getElementById("import-progress");
  if (!box || !window.fetch) return;
  var bar = document.getElementById("import-bar");
  var text = document.getElementById("import-text");
  var counts = document.getElementById("import-counts");
  var state = document.getElementById("import-state");

  function fill(template, data) {
    return template.replace(/\{(\w+)\}/g, function (all, key) {
      return data[key] === undefined ? all : String(data[key]);
    });
  }
  function poll() {
    fetch(box.dataset.url, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(function (data) {
        if (!data) return setTimeout(poll, 2000);
        if (data.finished) { window.location.assign(data.url); return; }
        bar.max = data.total || 1;
        bar.value = data.processed;
        bar.textContent = data.percent + "%";
        text.textContent = fill(box.dataset.text, data);
        counts.textContent = fill(box.dataset.counts, data);
        state.textContent = data.status_label;
        setTimeout(poll, 2000);
      })
      .catch(function () { setTimeout(poll, 2000); });
  }
  setTimeout(poll, 2000);
})();
