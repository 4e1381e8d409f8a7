// Reload the list when the server reports a status change of one of my attempts; but not
// while the member is uploading a clip (or has chosen one): a reload would abort the
// upload's submission, losing its redirect and "Clip received", or drop the chosen file.
(function () {
  const form = document.querySelector("form[enctype='multipart/form-data']");
  const file = form && form.querySelector("input[type=file]");
  let submitting = false;
  const scheme = location.protocol === "https:" ? "wss://" : "ws://";
  const socket = new WebSocket(scheme + location.host + "/ws/assessments/");
  if (form) {
    form.addEventListener("submit", () => {
      submitting = true;
      socket.close(); // the page the upload leads to listens again
    });
  }
  socket.onmessage = (e) => {
    const data = JSON.parse(e.data);
    if (data.type !== "assessment.status" || data.payload.status === "queued") return;
    if (submitting || (file && file.files.length)) return;
    location.reload();
  };
})();
