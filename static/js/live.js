// Live staff events over /ws/staff/. The page stays correct without it: REST/HTML is the
// source of truth, so after a reconnect we only resume listening.
(function () {
  "use strict";
  var box = document.getElementById("live");
  if (!box || !window.WebSocket) return;
  var delay = 1000;
  function toast(text) {
    var el = document.createElement("div");
    el.className = "toast";
    el.textContent = text;
    box.appendChild(el);
    setTimeout(function () { el.remove(); }, 6000);
  }
  function connect() {
    var scheme = location.protocol === "https:" ? "wss://" : "ws://";
    var ws = new WebSocket(scheme + location.host + "/ws/staff/");
    ws.onopen = function () { delay = 1000; };
    ws.onmessage = function (e) {
      var msg = JSON.parse(e.data);
      if (msg.type === "member.created") toast("+ " + msg.payload.name + " (#" + msg.payload.number + ")");
    };
    ws.onclose = function (e) {
      if (e.code === 4403 || e.code === 4404) return; // not allowed: do not retry
      setTimeout(connect, delay);
      delay = Math.min(delay * 2, 30000);
    };
  }
  connect();
})();
