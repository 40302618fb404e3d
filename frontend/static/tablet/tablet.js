/* GridOps tablet app for grid workers: token sign-in, tasks, reports, and an IndexedDB outbox.
 * Every report gets a client key (the dispatch idempotency key) when it is written, so however
 * often the outbox retries, the server creates it once. */
(function () {
  "use strict";
  const cfg = JSON.parse(document.getElementById("tablet-config").textContent);
  const T = cfg.i18n;
  // Dates in the page's language and the district's time zone (not the device's).
  const when = (value) => new Date(value).toLocaleString(document.documentElement.lang || "zh-hans",
                                                          { timeZone: cfg.timeZone, hour12: false });
  const db = window.idbKeyval;
  const QUEUE = "gridops.outbox";
  const $ = (id) => document.getElementById(id);
  const el = (tag, attrs, text) => {
    const node = document.createElement(tag);
    Object.entries(attrs || {}).forEach(([k, v]) => node.setAttribute(k, v));
    if (text !== undefined && text !== null) node.textContent = String(text);
    return node;
  };
  const fmt = (t, v) => t.replace(/\{(\w+)\}/g, (_, k) => v[k] ?? "");
  const uuid = () => (crypto.randomUUID ? crypto.randomUUID()
    : "k" + Date.now().toString(36) + Math.random().toString(36).slice(2, 12));
  let token = localStorage.getItem("gridops.token");
  let me = JSON.parse(localStorage.getItem("gridops.me") || "null");
  const app = window.gridopsTablet = { sent: [] };

  function toast(text) {
    const t = $("toast"); t.textContent = text; t.classList.add("show");
    clearTimeout(toast.timer); toast.timer = setTimeout(() => t.classList.remove("show"), 3500);
  }
  function api(url, options) {
    options = options || {};
    options.headers = Object.assign({ Accept: "application/json" }, options.headers || {});
    if (token) options.headers.Authorization = "Token " + token;
    return fetch(url, options);
  }
  function setNet() {
    const on = navigator.onLine; $("net").dataset.online = on ? "1" : "0";
    $("net").textContent = on ? T.online : T.offlineNow;
  }
  window.addEventListener("online", () => { setNet(); flush(); loadTasks(); });
  window.addEventListener("offline", setNet);

  // --- screens ------------------------------------------------------------------------------
  function show(tab) {
    ["login", "tasks", "report", "queue"].forEach((id) => ($(id).hidden = id !== tab));
    document.querySelectorAll("[data-tab]").forEach((b) => b.setAttribute("aria-selected", b.dataset.tab === tab));
    if (tab === "report") setTimeout(() => pickMap.invalidateSize(), 50);
    if (tab === "queue") renderQueue();
  }
  document.querySelectorAll("[data-tab]").forEach((b) => b.addEventListener("click", () => show(b.dataset.tab)));
  function signedIn() {
    $("tabs").hidden = false; $("who").textContent = me ? me.name : "";
    show("tasks"); loadTasks(); connect(); flush(); cacheCatalogue();
  }
  $("login-form").addEventListener("submit", async (e) => {
    e.preventDefault();
    const form = new FormData(e.target);
    try {
      const r = await fetch(cfg.api.token, { method: "POST", body: form });
      if (!r.ok) { $("login-error").textContent = T.wrongLogin; return; }
      token = (await r.json()).token; localStorage.setItem("gridops.token", token);
      me = await (await api(cfg.api.me)).json(); localStorage.setItem("gridops.me", JSON.stringify(me));
      signedIn();
    } catch (err) { $("login-error").textContent = T.waiting; }
  });
  $("logout").addEventListener("click", () => {
    localStorage.removeItem("gridops.token"); localStorage.removeItem("gridops.me"); token = null; me = null;
    $("tabs").hidden = true; show("login");
  });

  // --- tasks --------------------------------------------------------------------------------
  const features = (data) => data.features || (data.results && data.results.features) || data.results || [];
  async function loadTasks() {
    if (!token) return;
    let items;
    try {
      const r = await api(cfg.api.incidents + "?status=registered,dispatched,in_progress,returned");
      if (r.status === 401) return $("logout").click();
      items = features(await r.json());
      localStorage.setItem("gridops.tasks", JSON.stringify(items));
    } catch (e) { items = JSON.parse(localStorage.getItem("gridops.tasks") || "[]"); }
    const list = $("task-list"); list.replaceChildren();
    if (!items.length) list.appendChild(el("li", {}, T.noTasks));
    items.forEach((f) => {
      const p = f.properties || f; const id = f.id || p.id;
      const li = el("li", { "data-incident-id": id });
      li.appendChild(el("div", { class: "state" }, fmt(T.incidentNo, { id }) + " · " + (p.status_label || p.status)));
      li.appendChild(el("div", {}, (p.event_type && p.event_type.name) || ""));
      if (p.description) li.appendChild(el("div", {}, p.description));
      const actions = el("div", { class: "actions" });
      const add = (label, status) => {
        const b = el("button", { class: "btn big", type: "button" }, label);
        b.addEventListener("click", () => enqueue({ kind: "transition", id, label, body: { status, version: p.version } }));
        actions.appendChild(b);
      };
      if (p.status === "dispatched") add(T.accept, "in_progress");
      if (p.status === "in_progress") add(T.resolve, "resolved");
      li.appendChild(actions); list.appendChild(li);
    });
  }

  // --- report form --------------------------------------------------------------------------
  const pickMap = L.map("pick-map").setView([23.01, 113.1], 13);
  if (window.GRIDOPS_TILE_URL) L.tileLayer(window.GRIDOPS_TILE_URL).addTo(pickMap);
  if (L.vectorGrid) L.vectorGrid.protobuf(cfg.tiles.zones, { vectorTileLayerStyles: { zones: { weight: 2, color: "#111", fill: false } } }).addTo(pickMap);
  let place = null, marker = null, chosenType = null;
  function setPlace(lat, lon, accuracy, crs) {
    place = { lat, lon, accuracy_m: accuracy, crs: crs || "wgs84" };
    if (marker) marker.setLatLng([lat, lon]); else marker = L.marker([lat, lon]).addTo(pickMap);
    $("where").textContent = lat.toFixed(6) + ", " + lon.toFixed(6) + (accuracy ? " ±" + Math.round(accuracy) + " m" : "");
  }
  pickMap.on("click", (e) => setPlace(e.latlng.lat, e.latlng.lng, null));
  $("gps").addEventListener("click", () => {
    if (!navigator.geolocation) return toast(T.gpsFailed);
    navigator.geolocation.getCurrentPosition((pos) => {
      setPlace(pos.coords.latitude, pos.coords.longitude, pos.coords.accuracy);
      pickMap.setView([pos.coords.latitude, pos.coords.longitude], 17);
    }, () => toast(T.gpsFailed), { enableHighAccuracy: true, timeout: 10000 });
  });
  let searchTimer = null;
  $("type-search").addEventListener("input", (e) => {
    clearTimeout(searchTimer);
    searchTimer = setTimeout(() => searchTypes(e.target.value.trim()), 200);
  });
  async function searchTypes(q) {
    const list = $("type-results"); list.replaceChildren();
    if (!q) return;
    let rows = [];
    try {
      if (!navigator.onLine) throw new Error("offline");
      const data = await (await api(cfg.api.eventTypes + "?q=" + encodeURIComponent(q))).json(); rows = data.results || data;
    } catch (e) { rows = await searchOffline(q); }
    rows.slice(0, 12).forEach((t) => {
      const li = el("li"); const b = el("button", { type: "button", "data-code": t.code }, t.name + "  (" + (t.category_name || "") + ")");
      b.addEventListener("click", () => { chosenType = t; $("type-chosen").textContent = "✔ " + t.name; list.replaceChildren(); });
      li.appendChild(b); list.appendChild(li);
    });
  }
  // The whole catalogue is kept on the tablet so the type search works without a connection.
  async function cacheCatalogue() {
    try {
      const data = await (await api(cfg.api.eventTypes + "?limit=2000")).json();
      await db.set("gridops.catalogue", data.results || data);
    } catch (e) { /* keep the previous copy */ }
  }
  async function searchOffline(q) {
    const all = (await db.get("gridops.catalogue")) || [];
    const latin = q.toLowerCase().replace(/[^a-z0-9]/g, "");
    const rank = (t) => (t.name === q ? 0 : t.name.startsWith(q) ? 1 : t.name.includes(q) ? 2
      : latin && (t.pinyin_initials || "").startsWith(latin) ? 4 : latin && (t.pinyin_initials || "").includes(latin) ? 7
      : (t.keywords || "").includes(q) ? 6 : 99);
    return all.map((t) => [rank(t), t]).filter(([r]) => r < 99).sort((a, b) => a[0] - b[0] || (a[1].code < b[1].code ? -1 : 1)).map(([, t]) => t);
  }

  $("report-form").addEventListener("submit", async (e) => {
    e.preventDefault();
    if (!chosenType) { $("report-error").textContent = T.pickType; return; }
    if (!place) { $("report-error").textContent = T.pickPlace; return; }
    $("report-error").textContent = "";
    const body = Object.assign({ event_type: chosenType.code, description: e.target.description.value,
      client_key: uuid(), captured_at: new Date().toISOString() }, place);  // the server's clock starts the deadlines
    if (!body.accuracy_m) delete body.accuracy_m;
    const photos = Array.from($("photos").files || []);
    await enqueue({ kind: "report", body, photos, label: chosenType.name });
    e.target.reset(); chosenType = null; $("type-chosen").textContent = "";
  });

  // --- the outbox (IndexedDB) ---------------------------------------------------------------
  const readQueue = async () => (await db.get(QUEUE)) || [];
  async function updateQueue(change) {  // read-modify-write in one IndexedDB transaction
    await db.update(QUEUE, (items) => change(items || []));
    renderQueue();
  }
  async function enqueue(item) {
    item.key = item.key || (item.body && item.body.client_key) || uuid();
    item.created = Date.now(); item.state = "waiting"; item.attempts = 0;
    await updateQueue((items) => items.concat([item]));
    toast(T.queued);
    flush();
  }
  async function renderQueue() {
    const items = await readQueue();
    $("queue-count").textContent = items.filter((i) => i.state !== "rejected").length;
    const list = $("queue-list"); list.replaceChildren();
    if (!items.length) list.appendChild(el("li", {}, T.emptyQueue));
    items.forEach((i) => {
      const li = el("li", { "data-key": i.key, "data-state": i.state });
      const what = i.kind === "report" ? T.report + ": " + (i.label || i.body.event_type) : fmt(T.incidentNo, { id: i.id }) + " → " + (i.label || i.body.status);
      li.appendChild(el("div", { class: "state" }, what));
      li.appendChild(el("div", {}, when(i.created) + " · " +
        ({ waiting: T.waiting, sending: T.sending, rejected: T.rejected }[i.state] || i.state) +
        (i.photos && i.photos.length ? " · " + fmt(T.photoCount, { n: i.photos.length }) : "") + (i.error ? " · " + i.error : "")));
      if (i.state === "rejected") {
        const b = el("button", { class: "btn secondary", type: "button" }, "✕");
        b.addEventListener("click", () => updateQueue((items) => items.filter((x) => x.key !== i.key)));
        li.appendChild(b);
      }
      list.appendChild(li);
    });
  }
  async function sendOne(item) {
    const url = item.kind === "report" ? cfg.api.incidents : cfg.api.incidents + item.id + "/transitions/";
    const r = await api(url, { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(item.body) });
    if (r.status >= 500 || r.status === 408 || r.status === 429) throw new Error("retry " + r.status);
    let data = {}; try { data = await r.json(); } catch (e) { /* empty body */ }
    if (r.status === 409 && item.kind === "transition") { toast(T.conflict); loadTasks(); return { done: true }; }
    // A device clock the server finds implausible costs the capture time, never the report.
    if (r.status === 400 && item.body.captured_at && data.error && data.error.field === "captured_at") {
      delete item.body.captured_at; return sendOne(item);
    }
    if (!r.ok) return { done: false, error: (data.error && data.error.message) || String(r.status) };
    const id = data.id || (data.properties && data.properties.id);
    for (const photo of item.photos || []) {
      const form = new FormData(); form.append("photo", photo, photo.name || "photo.jpg");
      const pr = await api(cfg.api.incidents + id + "/photos/", { method: "POST", body: form });
      if (pr.status >= 500) throw new Error("retry photo " + pr.status);
    }
    app.sent.push({ key: item.key, id });
    return { done: true, id };
  }
  let flushing = null;
  function flush() {
    if (!token || !navigator.onLine) return Promise.resolve();
    if (flushing) return flushing;
    const run = async () => {
      for (const item of await readQueue()) {
        if (item.state === "rejected") continue;
        try {
          const result = await sendOne(item);
          if (result.done) {
            await updateQueue((items) => items.filter((x) => x.key !== item.key));
            toast(T.sent);
          } else {
            await updateQueue((items) => items.map((x) => (x.key === item.key ? Object.assign(x, { state: "rejected", error: result.error }) : x)));
          }
        } catch (e) { break; }  // offline or server trouble: keep the order, retry later
      }
      loadTasks();
    };
    const locked = navigator.locks ? navigator.locks.request("gridops-outbox", run) : run();
    flushing = locked.finally(() => { flushing = null; });
    return flushing;
  }
  app.flush = flush; app.readQueue = readQueue;
  setInterval(flush, 15000);

  // --- live updates of tasks ----------------------------------------------------------------
  let lastId = 0, backoff = 1000;
  function connect() {
    if (!token) return;
    const proto = location.protocol === "https:" ? "wss:" : "ws:";
    // The token goes in the first message, never in the URL (docs/websocket.md): URLs end up in logs.
    const socket = new WebSocket(proto + "//" + location.host + cfg.ws + (lastId ? "?last_id=" + lastId : ""));
    socket.onopen = () => socket.send(JSON.stringify({ type: "auth", token: token }));
    socket.onmessage = (e) => {
      const m = JSON.parse(e.data);
      if (m.kind === "realtime.hello") { lastId = Math.max(lastId, m.latest_id || 0); backoff = 1000; return; }
      if (m.id) { lastId = Math.max(lastId, m.id); if (String(m.kind).startsWith("incident.")) loadTasks(); }
    };
    socket.onclose = (e) => {  // 4401: the token is no longer valid, retrying cannot help
      if (token && e.code !== 4401) { setTimeout(connect, backoff); backoff = Math.min(backoff * 2, 15000); }
    };
  }

  if ("serviceWorker" in navigator) navigator.serviceWorker.register(cfg.sw, { scope: cfg.scope }).catch(() => {});
  setNet(); renderQueue();
  if (token) signedIn(); else show("login");
})();
