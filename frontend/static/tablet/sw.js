/* Service worker of the tablet app (SHELL, VERSION and PAGE are prepended by the server).
 * The app shell is cached so the tablet starts without a connection; API calls and tiles go to
 * the network (reports are queued in IndexedDB by the page, not here). */
const CACHE = "gridops-tablet-" + VERSION;

self.addEventListener("install", (event) => {
  event.waitUntil(caches.open(CACHE).then((cache) => cache.addAll(SHELL.concat([PAGE]))).then(() => self.skipWaiting()));
});

self.addEventListener("activate", (event) => {
  event.waitUntil(caches.keys().then((keys) => Promise.all(
    keys.filter((k) => k.startsWith("gridops-tablet-") && k !== CACHE).map((k) => caches.delete(k))
  )).then(() => self.clients.claim()));
});

self.addEventListener("fetch", (event) => {
  const url = new URL(event.request.url);
  if (event.request.method !== "GET" || url.origin !== location.origin) return;
  if (url.pathname.startsWith("/api/") || url.pathname.startsWith("/ws/")) return;
  if (event.request.mode === "navigate" && url.pathname === PAGE) {
    // Network first for the page (fresh config), the cached copy when offline.
    event.respondWith(fetch(event.request).then((response) => {
      const copy = response.clone();
      caches.open(CACHE).then((cache) => cache.put(PAGE, copy));
      return response;
    }).catch(() => caches.match(PAGE)));
    return;
  }
  if (SHELL.includes(url.pathname) || url.pathname.startsWith("/static/")) {
    event.respondWith(caches.match(event.request).then((hit) => hit || fetch(event.request)));
  }
});
