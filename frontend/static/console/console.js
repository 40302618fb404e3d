/* GridOps operator console: the map (vector tiles, places, live markers) and the live event socket.
 *
 * Layers sit in panes of their own, bottom to top: zones (350), incidents (450), grid workers
 * (500), places (Leaflet's marker pane, 600), live incidents (650). Every vector layer is SVG, whose
 * map-wide <svg> lets the pointer through to what lies below (Leaflet gives it pointer-events:
 * none), so a click reaches what is drawn on top. No canvas renderer: a map-wide canvas takes every
 * click in its pane and every pane below it, which left the incident tiles unclickable.
 */
(function () {
  "use strict";
  const C = window.GridOpsConsole;
  const { cfg, T, el, data, compose, fmt, when } = C;
  const P = cfg.palette;
  const $ = (id) => document.getElementById(id);

  // --- map and panes ---------------------------------------------------------------------------
  const map = L.map("map", { zoomControl: true });
  const [x0, y0, x1, y1] = cfg.extent || [113.0, 22.95, 113.2, 23.08];
  map.fitBounds([[y0, x0], [y1, x1]], { animate: false });  // the user's jurisdiction, all of it
  if (window.GRIDOPS_TILE_URL) L.tileLayer(window.GRIDOPS_TILE_URL).addTo(map);
  [["zones", 350], ["incidents", 450], ["workers", 500], ["live", 650]].forEach(([name, z]) => {
    map.createPane(name).style.zIndex = z;
  });
  const workerRenderer = L.svg({ pane: "workers" });
  const liveRenderer = L.svg({ pane: "live" });

  function zoneStyle(props) {
    const n = props.open || 0;
    const fill = P.zoneFills.reduce((found, [low, colour]) => (n >= low ? colour : found), P.zoneEmpty);
    return { weight: props.level <= 1 ? 2 : 1, color: "#334155", fill: true, fillColor: fill, fillOpacity: 0.45 };
  }
  function incidentStyle(props) {
    if (props.count !== undefined) {  // a server-side cluster: its count is written on it (CountedTile)
      return { radius: Math.min(24, 10 + Math.sqrt(props.count) * 1.5), fill: true,
               fillColor: props.overdue ? P.clusterOverdue : P.cluster, fillOpacity: 0.9, color: "#fff", weight: 2 };
    }
    return { radius: 7, fill: true, fillColor: P.status[props.status] || "#000", fillOpacity: 0.95,
             color: props.overdue ? P.overdue : "#ffffff", weight: props.overdue ? 4 : 1.5 };
  }
  // An SVG tile that writes each cluster's count over its circle (the text lets clicks through).
  const CountedTile = L.SVG.Tile.extend({
    _addPath(layer) {
      L.SVG.Tile.prototype._addPath.call(this, layer);
      const count = layer.properties && layer.properties.count;
      if (count === undefined || !layer._point) return;
      const text = L.SVG.create("text");
      text.setAttribute("x", layer._point.x); text.setAttribute("y", layer._point.y);
      text.setAttribute("class", "cluster-count"); text.setAttribute("text-anchor", "middle");
      text.setAttribute("dominant-baseline", "central");
      text.textContent = count >= 10000 ? Math.round(count / 1000) + "k" : String(count);
      this._rootGroup.appendChild(text);
    },
  });
  // The tile's feature id (the incident's or zone's id) kept on the drawn feature for clicks.
  // A tile point has no latlng, yet inherits CircleMarker's getLatLng: Leaflet 1.8+ then takes
  // a point of radius ≤ 10 px for a marker and throws on every click (Leaflet.VectorGrid#267,
  // #148). Without getLatLng the event's position is the pointer's.
  const IdGrid = L.VectorGrid.Protobuf.extend({
    _createLayer(feat, pxPerExtent, layerStyle) {
      const layer = L.VectorGrid.Protobuf.prototype._createLayer.call(this, feat, pxPerExtent, layerStyle);
      layer.featureId = feat.id;
      if (feat.type === 1) layer.getLatLng = null;
      return layer;
    },
  });
  function tileLayer(kind, style) {
    return new IdGrid(cfg.tiles[kind] + "?" + C.filterParams().toString(), {
      vectorTileLayerStyles: { [kind]: style }, interactive: true, maxNativeZoom: 18, maxZoom: 20, pane: kind,
      getFeatureId: (f) => f.id, fetchOptions: { credentials: "same-origin" },
      rendererFactory: (coords, size, options) => new CountedTile(coords, size, options),
    });
  }
  // Tile generations: a reload draws new layers over the old ones and removes the old ones only
  // when the new tiles are in (no blank map every time live events refresh the tiles).
  // loading(): tiles on their way, or a zoom animation whose tiles are not even asked for yet.
  const tiles = { generation: 0, settled: -1, viewReady: true,
                  loading: () => map._animatingZoom || [zonesLayer, incidentsLayer].some((l) => map.hasLayer(l) && l.isLoading()) };
  function whenLoaded(layers, generation, done) {
    let pending = layers.length;
    layers.forEach((layer) => layer.once("load", () => {
      pending -= 1;
      if (pending === 0) { if (done) done(); tiles.settled = Math.max(tiles.settled, generation); }
    }));
  }
  let zonesLayer = tileLayer("zones", zoneStyle);
  let incidentsLayer = tileLayer("incidents", incidentStyle);
  whenLoaded([zonesLayer, incidentsLayer], 0);
  zonesLayer.addTo(map); incidentsLayer.addTo(map);

  function bindTileEvents() {
    incidentsLayer.on("click", (e) => {
      const p = e.layer.properties || {};
      if (p.count !== undefined) { map.setView(e.latlng, Math.max(map.getZoom() + 2, cfg.pointMinZoom)); return; }
      C.openIncident(e.layer.featureId);
    });
    zonesLayer.on("click", (e) => {
      // "{name}: {open} open, {overdue} overdue" with the zone's name as data.
      const [before, after] = T.zone.split("{name}");
      const box = compose(el("div"), [before, data("span", e.layer.properties.name), fmt(after || "", e.layer.properties)]);
      L.popup().setLatLng(e.latlng).setContent(box).openOn(map);
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
    incidentsLayer = tileLayer("incidents", incidentStyle);
    overlays.zones = zonesLayer;
    const fresh = $("toggles").querySelector("input[data-layer=zones]").checked ? [zonesLayer, incidentsLayer] : [incidentsLayer];
    whenLoaded(fresh, tiles.generation, () => { old.forEach((layer) => map.removeLayer(layer)); stale = []; });
    fresh.forEach((layer) => layer.addTo(map));
    bindTileEvents();
  }
  let tileTimer = null;
  const scheduleTiles = () => { clearTimeout(tileTimer); tileTimer = setTimeout(reloadTiles, 3000); };
  $("filters").addEventListener("change", () => { reloadTiles(); refreshKpis(); refilterLive(); });

  // --- places: other apps' points, each kind with its own shape ----------------------------------
  function placeIcon(key, size) {
    const symbol = P.places[key];
    const shape = el("span", { class: "shape" });
    shape.style.setProperty("--fill", symbol.colour);
    return L.divIcon({ className: "place place-" + symbol.shape + " opt-" + key, html: shape,
                       iconSize: [size, size], iconAnchor: [size / 2, size / 2] });
  }
  const placeMarker = (key, latlng, name, size) =>
    L.marker(latlng, { icon: placeIcon(key, size || 18), title: name || "", alt: name || "", keyboard: true })
      .on("add", (e) => e.target.getElement().setAttribute("translate", "no"));  // its title is a name

  // --- legend ----------------------------------------------------------------------------------
  const legend = L.control({ position: "bottomleft" });
  let legendBox = null;
  function legendRow(label, swatch) {
    const row = el("div"); row.appendChild(swatch); row.appendChild(document.createTextNode(label)); legendBox.appendChild(row);
  }
  function dot(colour, ring) {
    const sw = el("i", { class: "dot" + (ring ? " ring" : "") });
    sw.style.background = ring ? "transparent" : colour; if (ring) sw.style.borderColor = colour;
    return sw;
  }
  function placeSwatch(key) {
    const symbol = P.places[key];
    const sw = el("i", { class: "place place-" + symbol.shape }); const shape = el("span", { class: "shape" });
    shape.style.setProperty("--fill", symbol.colour); sw.appendChild(shape);
    return sw;
  }
  legend.onAdd = () => {
    // Open where it leaves most of the map in view; a click on its summary shows or hides it.
    const box = el("details", Object.assign({ class: "legend" }, map.getSize().y > 700 ? { open: "" } : {}));
    box.appendChild(el("summary", {}, T.legend));
    legendBox = box.appendChild(el("div", { class: "legend-rows" }));
    L.DomEvent.disableClickPropagation(box); L.DomEvent.disableScrollPropagation(box);
    legendBox.appendChild(el("b", {}, T.status));
    cfg.choices.statuses.forEach((s) => legendRow(s.label, dot(P.status[s.value])));
    legendRow(T.overdue, dot(P.overdue, true));
    const cluster = dot(P.cluster); cluster.textContent = "n"; cluster.classList.add("cluster");
    legendRow(T.cluster, cluster);
    const clusterOverdue = dot(P.clusterOverdue); clusterOverdue.textContent = "n"; clusterOverdue.classList.add("cluster");
    legendRow(T.clusterOverdue, clusterOverdue);
    legendBox.appendChild(el("b", {}, T.legendZones));
    const fills = P.zoneFills.map(([low], i) => [P.zoneFills[i][1], P.zoneFills[i + 1] ? low + "–" + (P.zoneFills[i + 1][0] - 1) : low + "+"]);
    fills.forEach(([colour, label]) => { const sw = el("i"); sw.style.background = colour; legendRow(label, sw); });
    legendRow(T.centres, placeSwatch("centres"));
    legendRow(T.workers, dot(P.worker));
    cfg.optionalLayers.forEach((opt) => legendRow(opt.label, placeSwatch(opt.key)));
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
    if (props.name) box.appendChild(data("b", props.name));
    const dl = el("dl", { class: "kv" });
    (fields || []).forEach(([path, label]) => {
      const value = pick(props, path);
      if (value === undefined || value === null || value === "" || typeof value === "object") return;
      dl.appendChild(el("dt", {}, label));
      dl.appendChild(typeof value === "string" && !/^\d{4}-\d\d-\d\dT/.test(value) ? data("dd", value) : el("dd", {}, shown(value)));
    });
    box.appendChild(dl);
    return box;
  }
  const centres = L.geoJSON(null, {
    pointToLayer: (f, ll) => placeMarker("centres", ll, f.properties.name, f.properties.level === "district" ? 24 : 20),
    onEachFeature: (f, layer) => layer.bindTooltip(data("span", f.properties.name), { permanent: false }),
  });
  const workers = L.geoJSON(null, {
    pointToLayer: (f, ll) => L.circleMarker(ll, { radius: 6, color: "#0f766e", weight: 2, fillColor: P.worker, fillOpacity: 1,
                                                  pane: "workers", renderer: workerRenderer }),
    onEachFeature: (f, layer) => layer.bindPopup(() => popupFor(
      Object.assign({}, f.properties, { name: f.properties.name || f.properties.username }),
      [["grid_name", T.grid], ["recorded_at", T.reported]])),
  });
  toggle("zones", T.zonesLayer, zonesLayer, true);
  toggle("centres", T.centres, centres, true);
  toggle("workers", T.workers, workers, true);
  if (cfg.api.centres) C.getJson(cfg.api.centres).then((data) => centres.addData(data)).catch(() => {});  // null: no jurisdiction
  const loadWorkers = () => C.getJson(cfg.api.positions).then((d) => { workers.clearLayers(); workers.addData(d); }).catch(() => {});
  loadWorkers(); setInterval(loadWorkers, 30000);
  // Other apps' layers: a toggle, a legend row, and live updates for those that push events.
  const optional = {};
  cfg.optionalLayers.forEach((opt) => {
    const byId = new Map();
    const layer = L.geoJSON(null, {
      pointToLayer: (f, ll) => placeMarker(opt.key, ll, (f.properties || {}).name),
      onEachFeature: (f, l) => {
        byId.set(String(f.id ?? f.properties.code ?? f.properties.id), { feature: f, layer: l });
        l.bindPopup(() => popupFor(f.properties || {}, opt.fields));
      },
    });
    optional[opt.key] = { opt, layer, byId };
    toggle(opt.key, opt.label, layer, false);
    const load = () => C.getJson(opt.url).then((d) => { layer.clearLayers(); byId.clear(); layer.addData(d.type ? d : (d.results || d)); })
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
    found.layer.setIcon(placeIcon("halls", 18 + Math.min(16, Math.sqrt(payload.waiting || 0) * 3)));
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
      const k = await C.getJson(cfg.api.kpiStrip + "?" + C.filterParams().toString());
      $("kpi-open").textContent = k.open; $("kpi-overdue").textContent = k.overdue;
      $("kpi-closure").textContent = k.closure_rate_today === null ? "–" : Math.round(k.closure_rate_today * 100) + "%";
    } catch (e) { /* the strip keeps its last figures */ }
  }
  const scheduleKpis = () => { clearTimeout(kpiTimer); kpiTimer = setTimeout(refreshKpis, 500); };
  refreshKpis();

  // --- live events ---------------------------------------------------------------------------
  const seen = new Set();
  let lastId = cfg.lastId || 0;
  const liveLayer = L.layerGroup().addTo(map);
  const liveMarkers = new Map();   // incident id → {marker (null while filtered out), payload}
  const state = window.gridopsConsole = { seen, received: [], halls: {}, tiles, map, get lastId() { return lastId; }, socket: null };
  function setConn(s, text) { $("conn").dataset.state = s; $("conn-text").textContent = text; }

  // Whether a pushed incident belongs on the map under the filter form (the tiles' filters,
  // applied to the fields the push carries): a closed incident leaves an "all open" map.
  function matchesFilters(p) {
    const f = Object.fromEntries(C.filterParams());
    if (f.status === "open" ? !cfg.openStatuses.includes(p.status) : f.status && p.status !== f.status) return false;
    if (f.category && p.category !== f.category) return false;
    if (f.priority && p.priority !== f.priority) return false;
    if (f.overdue && !p.overdue) return false;
    if (f.days && Date.parse(p.reported_at) < Date.now() - Number(f.days) * 86400000) return false;
    return true;
  }
  function placeLive(p) {
    const old = liveMarkers.get(p.id);
    if (old && old.marker) liveLayer.removeLayer(old.marker);
    if (p.lon === undefined || p.lat === undefined) return;
    if (!matchesFilters(p)) { liveMarkers.set(p.id, { marker: null, payload: p }); return; }
    const marker = L.circleMarker([p.lat, p.lon], {
      pane: "live", renderer: liveRenderer, radius: 10, weight: p.overdue ? 5 : 3,
      color: p.overdue ? P.overdue : "#111", fillColor: P.status[p.status] || "#000", fillOpacity: 1,
      className: "live-incident live-incident-" + p.id,
    }).on("click", () => C.openIncident(p.id)).addTo(liveLayer);
    liveMarkers.set(p.id, { marker, payload: p });
  }
  function refilterLive() { [...liveMarkers.values()].forEach(({ payload }) => placeLive(payload)); }

  // The page's own label (its language), not the pushed one, which is in the server's language.
  function statusLabel(p) {
    const known = cfg.choices.statuses.find((s) => s.value === p.status);
    return known ? known.label : (p.status_label || p.status || "");
  }

  function showIncident(event) {
    const p = event.payload || {};
    if (p.id === undefined) return;
    placeLive(p);
    const li = el("li", { "data-incident-id": p.id, "data-event-id": event.id, class: "flash" });
    const button = compose(el("button", { type: "button", class: "item" }), [
      (event.kind === "incident.created" ? T.newIncident : T.updated) + " #" + p.id + " ",
      p.event_type && data("span", p.event_type.name), " · " + statusLabel(p)]);
    button.addEventListener("click", () => C.openIncident(p.id, { opener: button }));
    li.appendChild(button);
    $("feed").prepend(li); setTimeout(() => li.classList.remove("flash"), 4000);
    while ($("feed").children.length > 200) $("feed").lastChild.remove();
    if (C.shownIncident() === p.id) C.openIncident(p.id, { focus: false });
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
    // Other scripts of the page (foresight, emergencies) hear every event without a socket of their own.
    document.dispatchEvent(new CustomEvent("gridops:event", { detail: message }));
    if (String(message.kind).startsWith("incident.")) showIncident(message);
    else if (message.kind === "worker.position") loadWorkers();
    else if (message.kind === "hall.queue") onHallQueue(message.payload || {});
    else if (message.kind === "ledger.checkin") onCheckin(message.payload || {});
  }

  let backoff = 500, pingTimer = null;
  function connect() {
    state.connects = (state.connects || 0) + 1;
    const proto = location.protocol === "https:" ? "wss:" : "ws:";
    // batch=1: several events may come in one frame, as a JSON array (docs/websocket.md).
    const socket = new WebSocket(proto + "//" + location.host + cfg.ws + "?batch=1&last_id=" + lastId);
    state.socket = socket;
    socket.onopen = () => {
      backoff = 500; state.pongAt = Date.now();
      clearInterval(pingTimer);
      pingTimer = setInterval(() => {
        if (Date.now() - state.pongAt > 45000) { socket.close(); return; }
        socket.send(JSON.stringify({ type: "ping", t: Date.now() }));
      }, 15000);
    };
    socket.onmessage = (e) => {
      const data = JSON.parse(e.data);
      (Array.isArray(data) ? data : [data]).forEach(handle);
    };
    socket.onclose = () => {
      clearInterval(pingTimer);
      setConn("reconnecting", T.reconnecting);
      setTimeout(connect, backoff); backoff = Math.min(backoff * 2, 5000);
    };
  }
  window.addEventListener("online", () => { if (state.socket && state.socket.readyState > 1) connect(); });
  connect();
})();
