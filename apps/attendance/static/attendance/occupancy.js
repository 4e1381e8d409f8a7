// Live occupancy over /ws/occupancy/: the counter and the door feed change as people come
// and go. The socket is the fast path; REST is the truth: after every (re)connect the page
// re-reads /api/v1/occupancy/ and the latest visits, then follows the socket again.
(function () {
  "use strict";
  var countEl = document.getElementById("occupancy-count");
  var feed = document.getElementById("occupancy-feed");
  var status = document.getElementById("occupancy-status");
  var labels = document.getElementById("feed-labels");
  if (!countEl || !feed || !window.WebSocket) return;
  var delay = 500;
  var maxItems = 30;

  function hhmm(iso) {
    var d = new Date(iso);
    return ("0" + d.getHours()).slice(-2) + ":" + ("0" + d.getMinutes()).slice(-2);
  }
  function item(kind, at, name, extra) {
    var li = document.createElement("li");
    li.className = kind;
    var t = document.createElement("time");
    t.dateTime = at;
    t.textContent = hhmm(at);
    var who = document.createTextNode(" " + name + " ");
    var muted = document.createElement("span");
    muted.className = "muted";
    muted.textContent = extra;
    li.appendChild(t); li.appendChild(who); li.appendChild(muted);
    return li;
  }
  function prepend(li) {
    var empty = feed.querySelector(".empty");
    if (empty) empty.remove();
    feed.insertBefore(li, feed.firstChild);
    while (feed.children.length > maxItems) feed.lastChild.remove();
  }
  function describe(member, kiosk) {
    return (member && member.number ? "#" + member.number : "") + (kiosk ? " · " + kiosk : "");
  }
  function setCount(n) { if (typeof n === "number") countEl.textContent = String(n); }

  function reread() {
    var opts = { credentials: "same-origin", headers: { Accept: "application/json" } };
    fetch("/api/v1/occupancy/", opts).then(function (r) { return r.ok ? r.json() : null; })
      .then(function (data) { if (data) setCount(data.count); }).catch(function () {});
    fetch("/api/v1/visits/?page_size=20", opts).then(function (r) { return r.ok ? r.json() : null; })
      .then(function (data) {
        if (!data || !data.results) return;
        feed.textContent = "";
        data.results.slice().reverse().forEach(function (v) {
          var extra = "#" + v.member_number + (v.kiosk_name ? " · " + v.kiosk_name : "");
          if (v.exited_at) extra += " · " + labels.dataset.left + " " + hhmm(v.exited_at);
          prepend(item(v.exited_at ? "out" : "in", v.entered_at, v.member_name, extra));
        });
      }).catch(function () {});
  }

  function connect(isReconnect) {
    var scheme = location.protocol === "https:" ? "wss://" : "ws://";
    var ws = new WebSocket(scheme + location.host + "/ws/occupancy/");
    ws.onopen = function () {
      delay = 500;
      status.textContent = status.dataset.live;
      if (isReconnect) reread();
    };
    ws.onmessage = function (e) {
      var msg;
      try { msg = JSON.parse(e.data); } catch (err) { return; }
      var p = msg.payload || {};
      if (msg.type === "hello") setCount(msg.count);
      else if (msg.type === "visit.entered") {
        setCount(p.count);
        prepend(item("in", p.at, p.member.name, describe(p.member, p.kiosk)));
      } else if (msg.type === "visit.exited") {
        setCount(p.count);
        prepend(item("out", p.at, p.member.name, describe(p.member, p.kiosk) + " · " + labels.dataset.left));
      } else if (msg.type === "visit.denied") {
        prepend(item("denied", p.at, p.member ? p.member.name : "?", labels.dataset.denied + " · " + p.message));
      }
    };
    ws.onclose = function (e) {
      status.textContent = status.dataset.off;
      if (e.code === 4403 || e.code === 4404) return; // not allowed: do not retry
      // Back off (with jitter) so a restarted server is not hit by every page at once.
      setTimeout(function () { connect(true); }, delay + Math.random() * delay);
      delay = Math.min(delay * 2, 30000);
    };
  }
  connect(false);
})();
