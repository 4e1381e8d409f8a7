// Draws the stored landmarks of the analysed frame nearest the video's current time.
(function () {
  const video = document.getElementById("clip");
  const canvas = document.getElementById("skeleton");
  const url = canvas.dataset.overlayUrl;
  document.querySelectorAll("[data-seek]").forEach((b) =>
    b.addEventListener("click", () => { video.currentTime = Number(b.dataset.seek) / 1000; video.pause(); }));
  fetch(url, { credentials: "same-origin" }).then((r) => r.json()).then((data) => {
    const ctx = canvas.getContext("2d");
    function nearest(ms) {
      let lo = 0, hi = data.t_ms.length - 1;
      while (lo < hi) { const mid = (lo + hi) >> 1; if (data.t_ms[mid] < ms) lo = mid + 1; else hi = mid; }
      return lo;
    }
    function draw() {
      canvas.width = video.clientWidth; canvas.height = video.clientHeight;
      ctx.clearRect(0, 0, canvas.width, canvas.height);
      const points = data.frames[nearest(video.currentTime * 1000)];
      if (points) {
        ctx.lineWidth = 3; ctx.strokeStyle = "#00e676"; ctx.fillStyle = "#ff1744";
        for (const [a, b] of data.connections) {
          const p = points[a], q = points[b];
          if (p[2] < 0.5 || q[2] < 0.5) continue;
          ctx.beginPath(); ctx.moveTo(p[0] * canvas.width, p[1] * canvas.height);
          ctx.lineTo(q[0] * canvas.width, q[1] * canvas.height); ctx.stroke();
        }
        for (const p of points) {
          if (p[2] < 0.5) continue;
          ctx.beginPath(); ctx.arc(p[0] * canvas.width, p[1] * canvas.height, 4, 0, 2 * Math.PI); ctx.fill();
        }
      }
      if (!video.paused) requestAnimationFrame(draw);
    }
    ["play", "seeked", "loadeddata"].forEach((e) => video.addEventListener(e, draw));
    window.addEventListener("resize", draw);
    draw();
  });
})();
