/* GridOps operator console: vector tiles + a live event socket with catch-up by event id.
 * Text from the server is always inserted with textContent (never innerHTML). */
(function () {
  "use strict";
  const cfg = JSON.parse(document.getElementById("console-config").textContent);
  const T = cfg.i18n;
  const STATUS_COLOURS = {
    reported: "#8e24aa", registered: "#3949ab", dispatched: "#1e88e5", in_progress: "#fb8c00",
    resolved: "#43a047", verified: "#2e7d32", closed: "#757575", returned: "#d81b60", void: "#bdbdbd",
  };
  const NEXT = {  // candidate actions; the server decides what the role may do (403 otherwise)
    reported: ["registered", "void", "merge"], registered: ["dispatched", "void", "merge"],
    dispatched: ["in_progress", "returned", "dispatched"], returned: ["dispatched", "void"],
    in_progress: ["resolved", "returned"], resolved: ["verified", "in_progress"], verified: ["closed"],
  };
  const $ = (id) => document.getElementById(id);
  const el = (tag, attrs, text) => {
    const node = document.createElement(tag);
    Object.entries(attrs || {}).forEach(([k, v]) => node.setAttribute(k, v));
    if (text !== undefined && text !== null) node.textContent = String(text);
    return node;
  };
  const fmt = (template, values) => template.replace(/\{(\w+)\}/g, (_, k) => values[k] ?? "");
  // Dates in the page's language and the district's time zone (not the browser's).
  const LOCALE = document.documentElement.lang || "zh-hans";
  const when = (iso) => (iso ? new Date(iso).toLocaleString(LOCALE, { timeZone: cfg.timeZone, hour12: false }) : "");
  const PRIORITY = Object.fromEntries(cfg.choices.priorities.map((p) => [p.value, p.label]));
  const csrf = () => (document.cookie.match(/csrftoken=([^;]+)/) || [])[1] || "";

  // --- map and layers ----------------------------------------------------------------------
  const map = L.map("map", { preferCanvas: true, zoomControl: true }).setView([23.01, 113.1], 12);
  if (window.GRIDOPS_TILE_URL) L.tileLayer(window.GRIDOPS_TILE_URL).addTo(map);
  map.createPane("live").style.zIndex = 650;

  function filterQuery() {
    const data = new FormData($("filters"));
    const params = new URLSearchParams();
    for (const [k, v] of data.entries()) if (v) params.set(k, v);
    return params.toString();
  }
  function zoneStyle(props) {
    const n = props.open || 0;
    const fill = n === 0 ? "#f1f5f9" : n < 3 ? "#fde68a" : n < 10 ? "#fb923c" : n < 30 ? "#ef4444" : "#991b1b";
    return { weight: props.level <= 1 ? 2 : 1, color: "#334155", fill: true, fillColor: fill, fillOpacity: 0.45 };
  }
  function incidentStyle(props) {
    if (props.count !== undefined) {  // a server-side cluster
      const r = Math.min(26, 6 + Math.sqrt(props.count) * 2);
      return { radius: r, fill: true, fillColor: props.overdue ? "#b3261e" : "#1e88e5", fillOpacity: 0.7,
               color: "#fff", weight: 2 };
    }
    return { radius: 7, fill: true, fillColor: STATUS_COLOURS[props.status] || "#000", fillOpacity: 0.95,
             color: props.overdue ? "#b3261e" : "#ffffff", weight: props.overdue ? 4 : 1.5 };
  }
  function tileLayer(kind, style, extra) {
    const url = cfg.tiles[kind] + "?" + filterQuery();
    return L.vectorGrid.protobuf(url, Object.assign({
      vectorTileLayerStyles: { [kind]: style }, interactive: true, maxNativeZoom: 18, maxZoom: 20,
      getFeatureId: (f) => f.properties.id, fetchOptions: { credentials: "same-origin" },
    }, extra || {}));
  }
  // Tile generations: a reload draws new layers over the old ones and removes the old ones only
  // when the new tiles are in (no blank map every time live events refresh the tiles).
  const tiles = { generation: 0, settled: -1, viewReady: false,
                  loading: () => [zonesLayer, incidentsLayer].some((l) => map.hasLayer(l) && l.isLoading()) };
  function whenLoaded(layers, generation, done) {
    let pending = layers.length;
    layers.forEach((layer) => layer.once("load", () => {
      pending -= 1;
      if (pending === 0) { if (done) done(); tiles.settled = Math.max(tiles.settled, generation); }
    }));
  }
  let zonesLayer = tileLayer("zones", zoneStyle);
  let incidentsLayer = tileLayer("incidents", incidentStyle, { pane: "overlayPane" });
  whenLoaded([zonesLayer, incidentsLayer], 0);
  zonesLayer.addTo(map); incidentsLayer.addTo(map);
  const liveLayer = L.layerGroup().addTo(map);
  const liveMarkers = new Map();

  function bindTileEvents() {
    incidentsLayer.on("click", (e) => {
      const p = e.layer.properties;
      if (p.count !== undefined) { map.setView(e.latlng, Math.max(map.getZoom() + 2, 14)); return; }
      openIncident(p.id);
    });
    zonesLayer.on("click", (e) => {
      const p = e.layer.properties;
      L.popup().setLatLng(e.latlng).setContent(el("div", {}, fmt(T.zone, p))).openOn(map);
    });
  }
  bindTileEvents();

  let stale = [];
  function reloadTiles() {
    tiles.generation += 1;
    stale.forEach((layer) => map.removeLayer(layer));  // a previous reload still loading
    const old = [zonesLayer, incidentsLayer];
    stale = old;
    zonesLayer = tileLayer("zones", zoneStyle);
    incidentsLayer = tileLayer("incidents", incidentStyle, { pane: "overlayPane" });
    overlays.zones = zonesLayer;
    const fresh = $("toggles").querySelector("input[data-layer=zones]").checked ? [zonesLayer, incidentsLayer] : [incidentsLayer];
    whenLoaded(fresh, tiles.generation, () => { old.forEach((layer) => map.removeLayer(layer)); stale = []; });
    fresh.forEach((layer) => layer.addTo(map));
    bindTileEvents();
  }
  let tileTimer = null;
  const scheduleTiles = () => { clearTimeout(tileTimer); tileTimer = setTimeout(reloadTiles, 3000); };
  $("filters").addEventListener("change", () => { reloadTiles(); refreshKpis(); });

  // Legend
  const legend = L.control({ position: "bottomleft" });
  let legendBox = null;
  function legendRow(colour, label, round) {
    const row = el("div"); const sw = el("i", round ? { class: "dot" } : {}); sw.style.background = colour;
    row.appendChild(sw); row.appendChild(document.createTextNode(label)); legendBox.appendChild(row);
  }
  legend.onAdd = () => {
    const box = el("div", { class: "legend" });
    legendBox = box;
    box.appendChild(el("b", {}, T.status));
    cfg.choices.statuses.forEach((s) => {
      const row = el("div"); const sw = el("i"); sw.style.background = STATUS_COLOURS[s.value];
      row.appendChild(sw); row.appendChild(document.createTextNode(s.label)); box.appendChild(row);
    });
    const ring = el("div"); const r = el("i", { class: "ring" }); ring.appendChild(r);
    ring.appendChild(document.createTextNode(T.overdue)); box.appendChild(ring);
    [["#fde68a", "1–2"], ["#fb923c", "3–9"], ["#ef4444", "10–29"], ["#991b1b", "30+"]].forEach(([c, label]) => legendRow(c, T.open + " " + label));
    legendRow("#facc15", T.centres, true);
    legendRow("#5eead4", T.workers, true);
    return box;
  };
  legend.addTo(map);

  // --- GeoJSON overlays: centres, workers, other apps' layers --------------------------------
  const overlays = {};
  function toggle(key, label, layer, on) {
    overlays[key] = layer;
    const lab = el("label"); const box = el("input", { type: "checkbox", "data-layer": key });
    box.checked = !!on; if (on) layer.addTo(map);
    // overlays[key], not `layer`: the tile layers are replaced on reload.
    box.addEventListener("change", () => (box.checked ? overlays[key].addTo(map) : map.removeLayer(overlays[key])));
    lab.appendChild(box); lab.appendChild(document.createTextNode(" " + label)); $("toggles").appendChild(lab);
  }
  const pick = (props, path) => path.split(".").reduce((o, k) => (o === null || o === undefined ? undefined : o[k]), props);
  function shown(value) {
    if (value === true) return T.yes;
    if (value === false) return T.no;
    if (typeof value === "string" && /^\d{4}-\d\d-\d\dT/.test(value)) return when(value);
    return value;
  }
  // A popup of named fields with translated labels; every value goes in as text, never as HTML.
  function popupFor(props, fields) {
    const box = el("div", { class: "popup" });
    if (props.name) box.appendChild(el("b", {}, props.name));
    const dl = el("dl", { class: "kv" });
    (fields || []).forEach(([path, label]) => {
      const value = pick(props, path);
      if (value === undefined || value === null || value === "" || typeof value === "object") return;
      dl.appendChild(el("dt", {}, label)); dl.appendChild(el("dd", {}, shown(value)));
    });
    box.appendChild(dl);
    return box;
  }
  async function getJson(url) {
    const response = await fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } });
    if (!response.ok) throw new Error(response.status);
    return response.json();
  }
  const centres = L.geoJSON(null, {
    pointToLayer: (f, ll) => L.circleMarker(ll, { radius: f.properties.level === 0 ? 11 : 8, color: "#111", weight: 2,
                                                  fillColor: "#facc15", fillOpacity: 1 }),
    onEachFeature: (f, layer) => layer.bindTooltip(el("span", {}, f.properties.name), { permanent: false }),
  });
  const workers = L.geoJSON(null, {
    pointToLayer: (f, ll) => L.circleMarker(ll, { radius: 6, color: "#0f766e", weight: 2, fillColor: "#5eead4", fillOpacity: 1 }),
    onEachFeature: (f, layer) => layer.bindPopup(() => popupFor(Object.assign({ name: f.properties.user }, f.properties),
      [["grid_name", T.grid], ["recorded_at", T.reported]])),
  });
  toggle("zones", T.zonesLayer || "Zones", zonesLayer, true);
  toggle("centres", T.centres || "Command centres", centres, true);
  toggle("workers", T.workers || "Grid workers", workers, true);
  getJson(cfg.api.centres).then((data) => {
    centres.addData(data);
    if (data.features.length) map.fitBounds(centres.getBounds().pad(0.3), { maxZoom: 14, animate: false });
  }).catch(() => {}).finally(() => { tiles.viewReady = true; });
  const loadWorkers = () => getJson(cfg.api.positions).then((d) => { workers.clearLayers(); workers.addData(d); }).catch(() => {});
  loadWorkers(); setInterval(loadWorkers, 30000);
  // Other apps' layers: a toggle, a legend row, and live updates for those that push events.
  const optional = {};
  const svgRenderer = L.svg();
  cfg.optionalLayers.forEach((opt) => {
    const byId = new Map();
    const layer = L.geoJSON(null, {
      // SVG (not the map's canvas): few features, each a DOM node with its layer's class.
      pointToLayer: (f, ll) => L.circleMarker(ll, { radius: 7, color: "#fff", weight: 2, fillColor: opt.colour, fillOpacity: 0.95,
                                                    className: "opt-" + opt.key, renderer: svgRenderer }),
      onEachFeature: (f, l) => {
        byId.set(String(f.id ?? f.properties.code ?? f.properties.id), { feature: f, layer: l });
        l.bindPopup(() => popupFor(f.properties || {}, opt.fields));
      },
    });
    optional[opt.key] = { opt, layer, byId };
    toggle(opt.key, opt.label, layer, false);
    legendRow(opt.colour, opt.label, true);
    const load = () => getJson(opt.url).then((d) => { layer.clearLayers(); byId.clear(); layer.addData(d.type ? d : (d.results || d)); })
      .catch(() => {});
    optional[opt.key].load = load;
    load();
  });
  // hall.queue carries a hall's live figures: update that hall's feature in place.
  function onHallQueue(payload) {
    const halls = optional.halls; if (!halls || !payload.hall) return;
    const found = halls.byId.get(String(payload.hall));
    if (!found) { halls.load(); return; }
    const props = found.feature.properties;
    props.today = Object.assign({}, props.today || {}, payload.today || {}, { waiting: payload.waiting });
    found.layer.setStyle({ radius: 7 + Math.min(12, Math.sqrt(payload.waiting || 0) * 2) });
    if (found.layer.isPopupOpen()) found.layer.setPopupContent(popupFor(props, halls.opt.fields));
    state.halls[payload.hall] = payload.waiting;
  }
  function onCheckin(payload) {
    const checkins = optional.checkins; if (!checkins || payload.lon === undefined) return;
    checkins.layer.addData({ type: "Feature", id: payload.id, geometry: { type: "Point", coordinates: [payload.lon, payload.lat] },
                             properties: { name: payload.name, case_no: payload.case_no, at: payload.at, inside_geofence: !payload.flagged } });
  }

  // --- KPIs ---------------------------------------------------------------------------------
  let kpiTimer = null;
  async function refreshKpis() {
    try {
      const k = await getJson(cfg.api.kpiStrip + "?" + filterQuery());
      $("kpi-open").textContent = k.open; $("kpi-overdue").textContent = k.overdue;
      $("kpi-closure").textContent = k.closure_rate_today === null ? "–" : Math.round(k.closure_rate_today * 100) + "%";
    } catch (e) { /* the strip keeps its last figures */ }
  }
  const scheduleKpis = () => { clearTimeout(kpiTimer); kpiTimer = setTimeout(refreshKpis, 500); };
  refreshKpis();

  // --- incident panel -----------------------------------------------------------------------
  const incidentUrl = (id, tail) => cfg.api.incidents + id + "/" + (tail || "");
  async function openIncident(id, notice) {
    const panel = $("panel");
    panel.hidden = false; panel.replaceChildren(el("p", {}, "…"));
    let data;
    try { data = await getJson(incidentUrl(id)); } catch (e) { panel.replaceChildren(el("p", { class: "error" }, T.failed + " (" + e.message + ")")); return; }
    const p = data.properties || data;
    const body = [];
    const close = el("button", { class: "close", type: "button", "aria-label": T.closePanel, title: T.closePanel }, "×");
    close.addEventListener("click", () => { panel.hidden = true; panel.replaceChildren(); });
    body.push(close);
    const title = el("h2", {}, "#" + (data.id || p.id) + " " + ((p.event_type && p.event_type.name) || ""));
    body.push(title);
    if (notice) body.push(el("p", { class: "error", role: "alert" }, notice));
    const kv = el("dl", { class: "kv" });
    const add = (k, v) => { if (v !== undefined && v !== null && v !== "") { kv.appendChild(el("dt", {}, k)); kv.appendChild(el("dd", {}, v)); } };
    add(T.status, p.status_label || p.status); add(T.priority, PRIORITY[p.priority] || p.priority);
    add(T.department, p.department && (p.department.name || p.department));
    add(T.town, p.town && (p.town.name || p.town)); add(T.grid, p.grid && (p.grid.name || p.grid));
    add(T.reported, when(p.reported_at));
    add(T.deadline, when(p.resolution_deadline));
    body.push(kv);
    if (p.overdue) body.push(el("span", { class: "badge overdue" }, T.overdue));
    if (p.description) body.push(el("p", {}, p.description));
    body.push(el("h3", {}, T.routing)); body.push(el("p", { class: "routing" }, p.routing_reason || "–"));
    const actions = el("div", { class: "actions" });
    (NEXT[p.status] || []).forEach((status) => {
      const b = el("button", { class: "btn", type: "button", "data-action": status }, T.actionNames[status] || status);
      b.addEventListener("click", () => act(data.id || p.id, p.version, status));
      actions.appendChild(b);
    });
    body.push(el("h3", {}, T.actions)); body.push(actions);
    body.push(el("h3", {}, T.photos));
    const photos = el("div", { class: "photos" });
    (p.photos || []).forEach((ph) => photos.appendChild(el("img", { src: ph.url, alt: "" })));
    if (!(p.photos || []).length) photos.appendChild(el("p", {}, T.noPhotos));
    body.push(photos);
    body.push(el("h3", {}, T.history));
    const hist = el("ol", { class: "history" });
    (p.transitions || p.history || []).forEach((h) => hist.appendChild(el("li", {},
      [when(h.at), h.from_label || h.from_status, "→", h.to_label || h.to_status,
       h.actor && (h.actor.name || h.actor), h.note].filter(Boolean).join(" "))));
    body.push(hist);
    panel.replaceChildren(...body);
  }
  async function act(id, version, status) {
    let url = incidentUrl(id, "transitions/"), payload = { status, version };
    if (status === "merge") {
      const into = window.prompt(T.mergeInto); if (!into) return;
      url = incidentUrl(id, "merge/"); payload = { into: Number(into), version };
    } else {
      const note = window.prompt(T.note, ""); if (note === null) return; payload.note = note;
    }
    const response = await fetch(url, { method: "POST", credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-CSRFToken": csrf() }, body: JSON.stringify(payload) });
    if (response.status === 409) return openIncident(id, T.conflict);
    if (!response.ok) {
      let message = T.failed;
      try { message = (await response.json()).error.message; } catch (e) { /* keep the generic text */ }
      return openIncident(id, message);
    }
    openIncident(id, T.done);
  }

  // --- live events ---------------------------------------------------------------------------
  const seen = new Set();
  let lastId = cfg.lastId || 0;
  const state = window.gridopsConsole = { seen, received: [], halls: {}, tiles, get lastId() { return lastId; }, socket: null };
  function setConn(s, text) { $("conn").dataset.state = s; $("conn-text").textContent = text; }

  function showIncident(event) {
    const p = event.payload || {};
    if (p.id === undefined) return;
    if (p.lon !== undefined && p.lat !== undefined) {
      const old = liveMarkers.get(p.id); if (old) liveLayer.removeLayer(old);
      const marker = L.circleMarker([p.lat, p.lon], {
        pane: "live", renderer: L.svg({ pane: "live" }), radius: 10, weight: p.overdue ? 5 : 3,
        color: p.overdue ? "#b3261e" : "#111", fillColor: STATUS_COLOURS[p.status] || "#000", fillOpacity: 1,
        className: "live-incident live-incident-" + p.id,
      }).on("click", () => openIncident(p.id)).addTo(liveLayer);
      liveMarkers.set(p.id, marker);
    }
    const li = el("li", { "data-incident-id": p.id, "data-event-id": event.id, class: "flash" },
      (event.kind === "incident.created" ? T.newIncident : T.updated) + " #" + p.id + " " +
      ((p.event_type && p.event_type.name) || "") + " · " + (p.status_label || p.status || ""));
    li.addEventListener("click", () => openIncident(p.id));
    $("feed").prepend(li); setTimeout(() => li.classList.remove("flash"), 4000);
    while ($("feed").children.length > 200) $("feed").lastChild.remove();
    const panel = $("panel");
    if (!panel.hidden && panel.querySelector("h2") && panel.querySelector("h2").textContent.startsWith("#" + p.id + " ")) openIncident(p.id);
    scheduleTiles(); scheduleKpis();
  }

  function handle(message) {
    if (message.kind === "realtime.hello") {
      setConn("live", T.live);
      if (message.reset) { reloadTiles(); setConn("live", T.reload); }
      return;
    }
    if (message.kind === "realtime.pong") { state.pongAt = Date.now(); return; }
    if (message.id === undefined || seen.has(message.id)) return;
    seen.add(message.id); lastId = Math.max(lastId, message.id);
    state.received.push(Object.assign({ arrivedAt: Date.now() }, message));
    if (String(message.kind).startsWith("incident.")) showIncident(message);
    else if (message.kind === "worker.position") loadWorkers();
    else if (message.kind === "hall.queue") onHallQueue(message.payload || {});
    else if (message.kind === "ledger.checkin") onCheckin(message.payload || {});
  }

  let backoff = 500, pingTimer = null;
  function connect() {
    state.connects = (state.connects || 0) + 1;
    const proto = location.protocol === "https:" ? "wss:" : "ws:";
    const socket = new WebSocket(proto + "//" + location.host + cfg.ws + "?last_id=" + lastId);
    state.socket = socket;
    socket.onopen = () => {
      backoff = 500; state.pongAt = Date.now();
      clearInterval(pingTimer);
      pingTimer = setInterval(() => {
        if (Date.now() - state.pongAt > 45000) { socket.close(); return; }
        socket.send(JSON.stringify({ type: "ping", t: Date.now() }));
      }, 15000);
    };
    socket.onmessage = (e) => handle(JSON.parse(e.data));
    socket.onclose = () => {
      clearInterval(pingTimer);
      setConn("reconnecting", T.reconnecting);
      setTimeout(connect, backoff); backoff = Math.min(backoff * 2, 5000);
    };
  }
  window.addEventListener("online", () => { if (state.socket && state.socket.readyState > 1) connect(); });
  connect();
})();
