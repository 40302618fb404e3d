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
  const { el, fmt } = window.GridOpsDom;
  const uuid = () => (crypto.randomUUID ? crypto.randomUUID()
    : "k" + Date.now().toString(36) + Math.random().toString(36).slice(2, 12));
  let token = localStorage.getItem("gridops.token");
  let me = JSON.parse(localStorage.getItem("gridops.me") || "null");
  const app = window.gridopsTablet = { sent: [] };
  app.api = (url, options) => api(url, options);  // for the page's other scripts (emergency tasks)

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
    document.querySelectorAll("[data-tab]").forEach((b) => (b.dataset.tab === tab ? b.setAttribute("aria-current", "page") : b.removeAttribute("aria-current")));
    if (tab === "report") setTimeout(() => pickMap.invalidateSize(), 50);
    if (tab === "queue") renderQueue();
  }
  document.querySelectorAll("[data-tab]").forEach((b) => b.addEventListener("click", () => show(b.dataset.tab)));
  function signedIn() {
    $("tabs").hidden = false; $("who").textContent = me ? me.display_name || me.username : "";
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
  // Sign-out leaves nothing of the worker on the tablet: tokens, tasks, the outbox, the catalogue
  // and the service worker's caches (the next person to pick up the tablet sees none of it).
  async function signOut() {
    token = null; me = null;
    Object.keys(localStorage).filter((k) => k.startsWith("gridops.")).forEach((k) => localStorage.removeItem(k));
    try { await db.clear(); } catch (e) { /* no IndexedDB */ }
    offlineIndex = null;
    if (window.caches) {
      try { await Promise.all((await caches.keys()).filter((k) => k.startsWith("gridops-")).map((k) => caches.delete(k))); }
      catch (e) { /* no caches */ }
    }
    $("task-list").replaceChildren(); $("queue-list").replaceChildren(); $("type-results").replaceChildren();
    $("report-form").reset(); chosenType = null; place = null; $("type-chosen").textContent = "";
    $("who").textContent = ""; $("tabs").hidden = true; show("login"); renderQueue();
    if (socket) socket.close();
    app.signedOut = true;
  }
  app.signOut = signOut;
  $("logout").addEventListener("click", () => { signOut().then(() => toast(T.signedOut)); });

  // --- tasks --------------------------------------------------------------------------------
  // Open work in the worker's grids, and resolved incidents waiting for their check (核查).
  const TASK_STATUSES = "registered,dispatched,in_progress,returned,resolved";
  const features = (data) => data.features || (data.results && data.results.features) || data.results || [];
  async function loadTasks() {
    if (!token) return;
    let items;
    try {
      const r = await api(cfg.api.incidents + "?status=" + TASK_STATUSES);
      if (r.status === 401) return signOut();
      items = features(await r.json());
      if (!token) return;
      localStorage.setItem("gridops.tasks", JSON.stringify(items));
    } catch (e) { items = JSON.parse(localStorage.getItem("gridops.tasks") || "[]"); }
    const list = $("task-list"); list.replaceChildren();
    if (!items.length) list.appendChild(el("li", {}, T.noTasks));
    items.forEach((f) => list.appendChild(taskCard(f)));
    document.dispatchEvent(new Event("gridops:tasks"));  // other task lists reload with this one
  }
  function taskCard(f) {
    const p = f.properties || f; const id = f.id || p.id;
    const li = el("li", { "data-incident-id": id, "data-status": p.status });
    li.appendChild(el("div", { class: "state" }, fmt(T.incidentNo, { id }) + " · " + (p.status_label || p.status)));
    li.appendChild(el("div", { translate: "no" }, (p.event_type && p.event_type.name) || ""));  // data, not UI text
    const where = [p.town && p.town.name, p.grid && p.grid.name, p.address].filter(Boolean).join(" · ");
    if (where) {
      const row = el("div", { class: "place" }, T.place + ": ");
      row.appendChild(el("span", { translate: "no" }, where)); li.appendChild(row);
    }
    if (p.resolution_deadline) {
      li.appendChild(el("div", { class: "deadline" + (p.overdue ? " overdue" : "") },
        fmt(T.deadline, { when: when(p.resolution_deadline) }) + (p.overdue ? " · " + T.overdue : "")));
    }
    if (p.description) li.appendChild(el("div", { translate: "no" }, p.description));
    const actions = el("div", { class: "actions" });
    // Exactly the moves the API allows this user now (its allowed_transitions), never a copy.
    (p.allowed_transitions || []).forEach((to) => {
      const label = T.moves[p.status + ">" + to] || to;
      const b = el("button", { class: "btn big", type: "button", "data-to": to }, label);
      b.addEventListener("click", () => act(b, { id, label, status: to, version: p.version }));
      actions.appendChild(b);
    });
    li.appendChild(actions);
    return li;
  }
  const reason = (error) => (error && T.errors[error.code]) || T.rejected;
  // Online, a move is sent at once and its answer shown; offline it waits in the outbox. The
  // key (incident, version, target) makes a double tap one item and one request.
  const pending = new Set();
  async function act(button, move) {
    const key = "t-" + move.id + "-v" + move.version + "-" + move.status;
    if (pending.has(key)) return;
    pending.add(key); button.disabled = true;
    const item = { kind: "transition", key, id: move.id, label: move.label, body: { status: move.status, version: move.version } };
    try {
      if (!navigator.onLine) { await enqueue(item); return; }
      let result;
      try { result = await sendOne(item); } catch (e) { await enqueue(item); return; }
      if (result.done) toast(fmt(T.actionDone, { action: move.label, id: move.id }));
      else toast(fmt(T.actionFailed, { action: move.label, reason: result.error }));
      await loadTasks();
    } finally { pending.delete(key); button.disabled = false; }
  }
  app.loadTasks = loadTasks;

  // --- report form --------------------------------------------------------------------------
  const pickMap = L.map("pick-map").setView([23.01, 113.1], 13);
  if (window.GRIDOPS_TILE_URL) L.tileLayer(window.GRIDOPS_TILE_URL).addTo(pickMap);
  if (L.vectorGrid) L.vectorGrid.protobuf(cfg.tiles.zones, { vectorTileLayerStyles: { zones: { weight: 2, color: "#111", fill: false } } }).addTo(pickMap);
  let place = null, marker = null, chosenType = null;
  function setPlace(lat, lon, accuracy, crs) {
    place = { lat, lon, accuracy_m: accuracy, crs: crs || "wgs84" };
    if (marker) marker.setLatLng([lat, lon]); else marker = L.marker([lat, lon]).addTo(pickMap);
    const coords = lat.toFixed(6) + ", " + lon.toFixed(6) + (accuracy ? " ±" + Math.round(accuracy) + " m" : "");
    $("where").textContent = coords + " · " + (navigator.onLine ? T.locating : T.gridUnknown);
    $("where").removeAttribute("translate");
    locate(lat, lon, coords);
  }
  async function locate(lat, lon, coords) {
    if (!navigator.onLine) return;
    try {
      const r = await api(cfg.api.locate + "?lon=" + lon + "&lat=" + lat + "&crs=" + (place && place.crs || "wgs84"));
      if (!place || place.lat !== lat || place.lon !== lon) return;  // another tap since
      if (r.status === 404) { $("where").textContent = coords + " · " + T.outside; return; }
      const data = await r.json();
      $("where").textContent = [data.town && data.town.name, data.grid && data.grid.name].filter(Boolean).join(" · ") + " (" + coords + ")";
      $("where").setAttribute("translate", "no");  // place names are data
      $("where").dataset.grid = data.grid ? data.grid.code : "";
    } catch (e) { $("where").textContent = coords + " · " + T.gridUnknown; }
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
    if ($("type-search").value.trim() !== q) return;  // typed on meanwhile
    if (!rows.length) { list.appendChild(el("li", { class: "no-results", role: "status" }, fmt(T.noResults, { q }))); return; }
    rows.slice(0, 12).forEach((t) => {
      const li = el("li"); const b = el("button", { type: "button", "data-code": t.code, translate: "no" }, t.name + "  (" + (t.category_name || "") + ")");
      b.addEventListener("click", () => { chosenType = t; $("type-chosen").textContent = "✔ " + t.name; $("type-chosen").setAttribute("translate", "no"); list.replaceChildren(); });
      li.appendChild(b); list.appendChild(li);
    });
  }
  // The whole catalogue is kept on the tablet so the type search works without a connection.
  async function cacheCatalogue() {
    try {
      const data = await (await api(cfg.api.eventTypes + "?limit=2000")).json();
      const rows = data.results || data;
      if (token) await db.set("gridops.catalogue", rows);
      offlineIndex = null; app.catalogueSize = rows.length;
      // Signal loss while the catalogue was still downloading: a search typed meanwhile found no
      // catalogue and said "no results". Answer it again now that the catalogue is here.
      const q = $("type-search").value.trim();
      if (q && !navigator.onLine) searchTypes(q);
    } catch (e) { /* keep the previous copy */ }
  }
  let offlineIndex = null;
  async function searchOffline(q) {
    if (!offlineIndex) {
      const rows = (await db.get("gridops.catalogue")) || [];
      if (!rows.length) return [];  // not cached yet: build the index once there is something
      offlineIndex = window.gridopsTypeSearch.makeIndex(rows);
    }
    return offlineIndex(q);
  }
  app.searchOffline = searchOffline;

  $("report-form").addEventListener("submit", async (e) => {
    e.preventDefault();
    if (!token) { show("login"); return; }
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
    if (!token) return;
    item.key = item.key || (item.body && item.body.client_key) || uuid();
    item.created = Date.now(); item.state = "waiting"; item.attempts = 0;
    await updateQueue((items) => (items.some((x) => x.key === item.key) ? items : items.concat([item])));
    toast(navigator.onLine ? T.sending : T.queued);
    flush();
  }
  async function renderQueue() {
    const items = await readQueue();
    $("queue-count").textContent = items.length;  // waiting and refused: both need the worker's eye
    const list = $("queue-list"); list.replaceChildren();
    if (!items.length) list.appendChild(el("li", {}, T.emptyQueue));
    items.forEach((i) => {
      const li = el("li", { "data-key": i.key, "data-state": i.state });
      const what = i.kind === "report" ? T.report + ": " + (i.label || i.body.event_type)
        : i.url ? i.label : fmt(T.incidentNo, { id: i.id }) + " → " + (i.label || i.body.status);
      li.appendChild(el("div", { class: "state" }, what));
      li.appendChild(el("div", {}, when(i.created) + " · " +
        ({ waiting: T.waiting, sending: T.sending, rejected: T.rejected }[i.state] || i.state) +
        (i.photos && i.photos.length ? " · " + fmt(T.photoCount, { n: i.photos.length }) : "") + (i.error ? " · " + i.error : "")));
      if (i.state === "rejected") {
        const b = el("button", { class: "btn secondary", type: "button", "aria-label": T.remove }, "✕");
        b.addEventListener("click", () => updateQueue((items) => items.filter((x) => x.key !== i.key)));
        li.appendChild(b);
      }
      list.appendChild(li);
    });
  }
  async function sendOne(item) {
    // An item may carry its own URL (emergency answers); reports and moves have theirs.
    const url = item.url || (item.kind === "report" ? cfg.api.incidents : cfg.api.incidents + item.id + "/transitions/");
    const r = await api(url, { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(item.body) });
    if (r.status >= 500 || r.status === 408 || r.status === 429) throw new Error("retry " + r.status);
    let data = {}; try { data = await r.json(); } catch (e) { /* empty body */ }
    if (r.status === 409 && item.kind === "transition") { toast(T.conflict); loadTasks(); return { done: true }; }
    // A device clock the server finds implausible costs the capture time, never the report.
    if (r.status === 400 && item.body.captured_at && data.error && data.error.field === "captured_at") {
      delete item.body.captured_at; return sendOne(item);
    }
    if (!r.ok) return { done: false, error: reason(data.error) };
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
  app.flush = flush; app.readQueue = readQueue; app.enqueue = enqueue;
  setInterval(flush, 15000);

  // --- live updates of tasks ----------------------------------------------------------------
  let lastId = 0, backoff = 1000, socket = null;
  function connect() {
    if (!token) return;
    const proto = location.protocol === "https:" ? "wss:" : "ws:";
    // The token goes in the first message, never in the URL (docs/websocket.md): URLs end up in logs.
    socket = new WebSocket(proto + "//" + location.host + cfg.ws + (lastId ? "?last_id=" + lastId : ""));
    socket.onopen = () => socket.send(JSON.stringify({ type: "auth", token: token }));
    socket.onmessage = (e) => {
      const m = JSON.parse(e.data);
      if (m.kind === "realtime.hello") { lastId = Math.max(lastId, m.latest_id || 0); backoff = 1000; return; }
      if (m.id) {
        lastId = Math.max(lastId, m.id); if (String(m.kind).startsWith("incident.")) loadTasks();
        document.dispatchEvent(new CustomEvent("gridops:event", { detail: m }));  // the page's other scripts
      }
    };
    socket.onclose = (e) => {  // 4401: the token is no longer valid, retrying cannot help
      if (token && e.code !== 4401) { setTimeout(connect, backoff); backoff = Math.min(backoff * 2, 15000); }
    };
  }

  if ("serviceWorker" in navigator) navigator.serviceWorker.register(cfg.sw, { scope: cfg.scope }).catch(() => {});
  setNet(); renderQueue();
  if (token) signedIn(); else show("login");
})();
