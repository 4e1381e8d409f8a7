// Reload the list when the server reports a status change of one of my attempts.
(function () {
  const scheme = location.protocol === "https:" ? "wss://" : "ws://";
  const socket = new WebSocket(scheme + location.host + "/ws/assessments/");
  socket.onmessage = (e) => {
    const data = JSON.parse(e.data);
    if (data.type === "assessment.status" && data.payload.status !== "queued") location.reload();
  };
})();
