// "Push on this device" on the member app's notification settings page. Permission is
// asked only when the member clicks the button. The subscription is made through the
// service worker's registration with the gym's VAPID key and registered with the devices
// API (session cookie + CSRF header); turning it off deletes the device, then unsubscribes.
// States: unsupported, denied, on, off.
(function () {
  "use strict";
  var root = document.getElementById("push");
  if (!root) return;
  var status = document.getElementById("push-status");
  var button = document.getElementById("push-toggle");
  var data = root.dataset;
  var STORE = "gym-push-device:"; // + endpoint -> device id, to DELETE it later
  var registration = null;
  var state = "";

  function show(name, message) {
    state = name;
    root.setAttribute("data-state", name);
    status.textContent = message || data["msg" + name.charAt(0).toUpperCase() + name.slice(1)];
    button.hidden = name === "unsupported" || name === "denied";
    button.disabled = name === "working";
    if (name === "on") button.textContent = data.labelOff;
    if (name === "off") button.textContent = data.labelOn;
    if (name === "on") button.classList.add("secondary"); else button.classList.remove("secondary");
  }

  function keyBytes(base64url) {
    var padded = (base64url + "===".slice((base64url.length + 3) % 4)).replace(/-/g, "+").replace(/_/g, "/");
    var raw = atob(padded);
    var out = new Uint8Array(raw.length);
    for (var i = 0; i < raw.length; i++) out[i] = raw.charCodeAt(i);
    return out;
  }

  function api(method, url, body) {
    return fetch(url, {
      method: method,
      credentials: "same-origin",
      headers: { "Content-Type": "application/json", "Accept": "application/json", "X-CSRFToken": data.csrf },
      body: body ? JSON.stringify(body) : undefined,
    }).then(function (response) {
      if (!response.ok) throw new Error("HTTP " + response.status);
      return response.status === 204 ? null : response.json();
    });
  }

  function register(subscription) {
    var body = subscription.toJSON();
    body.label = (navigator.userAgent || "").slice(0, 120);
    return api("POST", data.devicesUrl, body).then(function (device) {
      try { localStorage.setItem(STORE + subscription.endpoint, String(device.id)); } catch (e) { /* private mode */ }
      return device;
    });
  }

  function deviceId(subscription) {
    var id = null;
    try { id = localStorage.getItem(STORE + subscription.endpoint); } catch (e) { /* private mode */ }
    // Unknown here (storage cleared): registering again answers the same device.
    return id ? Promise.resolve(id) : register(subscription).then(function (d) { return String(d.id); });
  }

  // The browser may never answer (Chromium's subscribe() hangs when its push service is
  // unreachable, offline): give up after TIMEOUT and drop a subscription that comes later.
  var TIMEOUT = 15000;

  function withTimeout(promise, onLate) {
    return new Promise(function (resolve, reject) {
      var late = false;
      var timer = setTimeout(function () { late = true; reject(new Error("timeout")); }, TIMEOUT);
      promise.then(function (value) {
        clearTimeout(timer);
        if (late) { if (onLate) onLate(value); } else resolve(value);
      }, function (error) {
        clearTimeout(timer);
        reject(error);
      });
    });
  }

  function turnOn() {
    show("working");
    withTimeout(Notification.requestPermission()).then(function (permission) {
      if (permission !== "granted") {
        show(permission === "denied" ? "denied" : "off");
        return null;
      }
      var subscribing = registration.pushManager.subscribe({
        userVisibleOnly: true,
        applicationServerKey: keyBytes(data.vapidKey),
      });
      return withTimeout(subscribing, function (late) { late.unsubscribe(); }).then(function (subscription) {
        return register(subscription).then(function () { show("on"); }, function (error) {
          subscription.unsubscribe();  // the server does not know it: do not keep it
          throw error;
        });
      });
    }).catch(function () { show("off", data.msgError); });
  }

  function turnOff() {
    show("working");
    registration.pushManager.getSubscription().then(function (subscription) {
      if (!subscription) return null;
      return deviceId(subscription).then(function (id) {
        return api("DELETE", data.devicesUrl + encodeURIComponent(id) + "/");
      }).then(function () {
        try { localStorage.removeItem(STORE + subscription.endpoint); } catch (e) { /* private mode */ }
        return subscription.unsubscribe();
      });
    }).then(function () { show("off"); }, function () { show("on", data.msgError); });
  }

  button.addEventListener("click", function () {
    if (state === "off") turnOn();
    else if (state === "on") turnOff();
  });

  if (!("serviceWorker" in navigator) || !("PushManager" in window) || !("Notification" in window)) {
    show("unsupported");
    return;
  }
  if (Notification.permission === "denied") {
    show("denied");
    return;
  }
  // No service worker (plain http off localhost): ready never resolves.
  var timeout = new Promise(function (resolve) { setTimeout(resolve, 8000, null); });
  Promise.race([navigator.serviceWorker.ready, timeout]).then(function (ready) {
    if (!ready || !ready.pushManager) { show("unsupported"); return null; }
    registration = ready;
    return ready.pushManager.getSubscription().then(function (subscription) {
      if (subscription && Notification.permission === "granted") {
        show("on");
        // Keep the server's copy current (a shared browser pushes to whoever is signed in).
        register(subscription).catch(function () { /* shown as on; retried next visit */ });
      } else {
        show("off");
      }
    });
  }).catch(function () { show("unsupported"); });
})();
