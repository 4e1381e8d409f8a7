{% autoescape off %}// The member app's service worker: keeps the shell (styles, scripts, offline page) and the
// last copy of pages marked data-offline (the pass) for use without a connection; pages
// otherwise always come from the network. Shows web pushes and opens their link.
const VERSION = "{{ version }}";
const SHELL = "shell-" + VERSION;
const PAGES = "pages";
const SHELL_URLS = {{ shell_json }};
const OFFLINE = "{{ offline_url }}";
const SCOPE = "{{ scope }}";

self.addEventListener("install", (event) => {
  event.waitUntil(caches.open(SHELL).then((c) => c.addAll(SHELL_URLS)).then(() => self.skipWaiting()));
});

self.addEventListener("activate", (event) => {
  event.waitUntil(
    caches.keys()
      .then((keys) => Promise.all(keys.filter((k) => k.startsWith("shell-") && k !== SHELL).map((k) => caches.delete(k))))
      .then(() => self.clients.claim())
  );
});

self.addEventListener("fetch", (event) => {
  const request = event.request;
  if (request.method !== "GET") return;
  const url = new URL(request.url);
  if (url.origin !== self.location.origin) return;
  if (request.mode === "navigate" && url.pathname.startsWith(SCOPE)) {
    event.respondWith(
      fetch(request).then((response) => {
        // The page says whether it may be kept (the pass does; private lists do not).
        if (response.ok && response.headers.get("X-Offline-Copy") === "1") {
          const copy = response.clone();
          caches.open(PAGES).then((c) => c.put(url.pathname, copy));
        }
        return response;
      }).catch(() => caches.open(PAGES).then((c) => c.match(url.pathname))
        .then((hit) => hit || caches.match(OFFLINE)))
    );
    return;
  }
  if (SHELL_URLS.includes(url.pathname)) {
    event.respondWith(caches.match(request).then((hit) => hit || fetch(request)));
  }
});

self.addEventListener("push", (event) => {
  let data = {};
  try { data = event.data ? event.data.json() : {}; } catch (e) { data = {title: event.data.text()}; }
  event.waitUntil(self.registration.showNotification(data.title || "", {
    body: data.body || "", data: {url: data.url || SCOPE}, tag: data.id ? String(data.id) : undefined,
    icon: SHELL_URLS.find((u) => u.endsWith("icon-192.png")),
  }));
});

self.addEventListener("notificationclick", (event) => {
  event.notification.close();
  const target = new URL(event.notification.data.url, self.location.origin);
  if (target.origin !== self.location.origin) return;  // only this gym's own pages
  event.waitUntil(self.clients.matchAll({type: "window"}).then((wins) => {
    for (const w of wins) { if (w.url === target.href && "focus" in w) return w.focus(); }
    return self.clients.openWindow(target.href);
  }));
});

// A logout clears the kept pages: the next person on this phone sees none of them.
self.addEventListener("message", (event) => {
  if (event.data === "logout") event.waitUntil(caches.delete(PAGES));
});
{% endautoescape %}
