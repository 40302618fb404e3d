/* The command centre's big screen: figures from the screen-summary API, the map from the vector
 * tiles, live updates from the event socket (the console's protocol: /ws/events/?last_id=N,
 * `realtime.hello`, events {id, kind, payload}, ping/pong). No interaction: it runs unattended.
 * Text from the server is inserted with textContent only. */
(function () {
  "use strict";
  const cfg = JSON.parse(document.getElementById("screen-config").textContent);
  const T = cfg.i18n;
  const LOCALE = document.documentElement.lang || "zh-hans";
  const ZONE = cfg.zone.code;
  const $ = (id) => document.getElementById(id);
  const el = (tag, cls, text) => {
    const node = document.createElement(tag);
    if (cls) node.className = cls;
    if (text !== undefined && text !== null) node.textContent = String(text);
    return node;
  };
  const fmt = (template, values) => template.replace(/\{(\w+)\}/g, (_, k) => values[k] ?? "");
  const pick = (obj, path) => path.split(".").reduce((o, k) => (o === null || o === undefined ? undefined : o[k]), obj);
  const state = window.gridopsScreen = {
    summary: null, received: [], refreshes: 0, ready: false, charts: {}, live: null,
  };

  // --- formats ---------------------------------------------------------------------------------
  const missing = (v) => v === null || v === undefined || v === "";
  const FORMATS = {
    count: (v) => (missing(v) ? "–" : Number(v).toLocaleString(LOCALE)),
    rate: (v) => (missing(v) ? "–" : (v * 100).toFixed(2) + "%"),
    minutes: (v) => (missing(v) ? "–" : fmt(T.minutes, { n: (v / 60).toFixed(1) })),
    hash: (v) => (missing(v) ? "–" : v.slice(0, 16) + "…"),
  };
  const timeOf = (iso, options) => new Date(iso).toLocaleString(LOCALE, Object.assign({ timeZone: cfg.timeZone, hour12: false }, options));
  const SEEDS = {
    closure_rate: (seed) => T.seed + " " + FORMATS.rate(seed.closure_rate),
    satisfaction_rate: (seed) => T.seed + " " + FORMATS.rate(seed.satisfaction_rate),
    handling_minutes: (seed) => T.seed + " " + fmt(T.minutes, { n: seed.handling_minutes.join("–") }),
  };

  function renderFigures(s) {
    document.querySelectorAll("[data-figure]").forEach((node) => {
      const value = pick(s, node.dataset.figure);
      node.dataset.value = missing(value) ? "" : String(value);
      node.textContent = (FORMATS[node.dataset.format] || FORMATS.count)(value);
    });
    document.querySelectorAll("[data-seed]").forEach((node) => {
      node.hidden = !s.seed;
      if (s.seed) node.textContent = SEEDS[node.dataset.seed](s.seed);
    });
    $("period-label").textContent = fmt(T.period, { days: s.period.days });
    $("sc-period").textContent = s.period.start + " – " + s.period.end;
    const head = s.ledger.head;
    $("head-time").textContent = head ? fmt(T.signedAt, { when: timeOf(head.timestamp_ms, { month: "2-digit", day: "2-digit", hour: "2-digit", minute: "2-digit" }) }) : T.noHead;
  }

  // --- charts (ECharts) -----------------------------------------------------------------------
  const rem = () => parseFloat(getComputedStyle(document.documentElement).fontSize) || 16;
  const COLOURS = { text: "#e2ecff", muted: "#8fa7cc", line: "rgba(56, 189, 248, .18)", a: "#38bdf8", b: "#34d399",
                    c: "#fbbf24", bad: "#f87171" };
  function chart(id) {
    if (!state.charts[id]) state.charts[id] = echarts.init($(id), null, { renderer: "canvas" });
    return state.charts[id];
  }
  const axisText = (r) => ({ color: COLOURS.muted, fontSize: Math.round(0.8 * r) });
  const valueAxis = (r, extra) => Object.assign({ type: "value", axisLabel: axisText(r), splitLine: { lineStyle: { color: COLOURS.line } } }, extra);

  function empty(option, rows, r) {
    return rows.length ? option : { title: { text: T.noData, left: "center", top: "middle", textStyle: { color: COLOURS.muted, fontSize: r } } };
  }

  function renderTrend(s, r) {
    const rows = s.incidents.trend;
    chart("chart-trend").setOption({
      animationDuration: 300, textStyle: { fontSize: r * 0.8 },
      grid: { left: 2.8 * r, right: 0.8 * r, top: 1.9 * r, bottom: 1.6 * r },
      legend: { top: 0, right: 0, itemWidth: r, itemHeight: 0.6 * r, textStyle: { color: COLOURS.text, fontSize: 0.8 * r },
                data: [T.reported, T.closed] },
      xAxis: { type: "category", boundaryGap: false, data: rows.map((d) => d.day.slice(5)), axisLabel: axisText(r),
               axisLine: { lineStyle: { color: COLOURS.line } } },
      yAxis: valueAxis(r, { minInterval: 1 }),
      series: [
        { name: T.reported, type: "line", symbol: "none", data: rows.map((d) => d.total),
          lineStyle: { color: COLOURS.a, width: 0.15 * r }, itemStyle: { color: COLOURS.a }, areaStyle: { color: COLOURS.a, opacity: 0.18 } },
        { name: T.closed, type: "line", symbol: "none", data: rows.map((d) => d.resolved_or_later),
          lineStyle: { color: COLOURS.b, width: 0.15 * r }, itemStyle: { color: COLOURS.b } },
      ],
    }, true);
  }

  function horizontalBars(id, rows, r, values, labels, extra) {
    chart(id).setOption(empty(Object.assign({
      animationDuration: 300,
      grid: { left: 0.4 * r, right: 4.8 * r, top: 0.2 * r, bottom: 0.2 * r, containLabel: true },
      xAxis: Object.assign(valueAxis(r), { show: false }),
      yAxis: { type: "category", inverse: true, data: rows.map((row) => row.label || row.code), axisTick: { show: false },
               axisLine: { show: false }, axisLabel: { color: COLOURS.text, fontSize: 0.85 * r, width: 7 * r, overflow: "truncate" } },
      series: [{ type: "bar", data: values, barMaxWidth: 1.1 * r, barCategoryGap: "35%",
                 itemStyle: { borderRadius: [0, 0.3 * r, 0.3 * r, 0],
                              color: new echarts.graphic.LinearGradient(0, 0, 1, 0, [{ offset: 0, color: "#1d4ed8" }, { offset: 1, color: COLOURS.a }]) },
                 label: { show: true, position: "right", color: COLOURS.text, fontSize: 0.8 * r, formatter: (p) => labels[p.dataIndex] } }],
    }, extra || {}), rows, r), true);
  }

  function renderCategories(s, r) {
    const rows = s.incidents.categories;
    horizontalBars("chart-categories", rows, r, rows.map((row) => row.total), rows.map((row) => FORMATS.count(row.total)));
  }

  function renderRanking(s, r) {
    const rows = s.incidents.ranking.rows;
    const values = rows.map((row) => (row.closure_rate === null ? 0 : +(row.closure_rate * 100).toFixed(2)));
    const low = values.length ? Math.max(0, Math.floor(Math.min(...values)) - 2) : 0;
    horizontalBars("chart-ranking", rows, r, values, rows.map((row) => FORMATS.rate(row.closure_rate) + " · " + FORMATS.count(row.total)),
                   { xAxis: Object.assign(valueAxis(r), { show: false, min: low, max: 100 }) });
  }

  const roundUp = (x) => { const step = 10 ** Math.floor(Math.log10(x)); return Math.ceil(x / step) * step; };  // 4952 → 5000
  function renderSeats(s, r) {
    const rows = s.seats.towns;
    const towns = [...new Set(rows.map((row) => row.town))];
    const names = Object.fromEntries(rows.map((row) => [row.town, row.name]));
    // A bar per level and town (its colour says the level); a shortage points down, its figure in red.
    const series = [["primary", T.primary, COLOURS.a], ["junior", T.junior, COLOURS.c]].map(([level, label, colour]) => ({
      name: label, type: "bar", barMaxWidth: 1.2 * r, barGap: "15%", itemStyle: { color: colour, borderRadius: 0.2 * r },
      data: towns.map((town) => {
        const row = rows.find((x) => x.town === town && x.level === level);
        if (!row) return null;
        const short = row.gap < 0;
        return { value: row.gap, label: { position: short ? "bottom" : "top", color: short ? COLOURS.bad : COLOURS.text } };
      }),
      label: { show: true, fontSize: 0.65 * r, formatter: (p) => String(Math.round(p.value)) },
    }));
    chart("chart-seats").setOption(empty({
      animationDuration: 300,
      legend: { top: 0, right: 0, itemWidth: r, itemHeight: 0.6 * r, textStyle: { color: COLOURS.text, fontSize: 0.75 * r } },
      grid: { left: 3.2 * r, right: 0.4 * r, top: 1.9 * r, bottom: 1.5 * r },
      xAxis: { type: "category", data: towns.map((t) => names[t]), axisLine: { lineStyle: { color: COLOURS.line } },
               axisLabel: Object.assign(axisText(r), { interval: 0, fontSize: 0.7 * r }) },
      // Room below the deepest shortage (and above the largest surplus) for the bars' figures.
      yAxis: valueAxis(r, { axisLabel: Object.assign(axisText(r), { fontSize: 0.7 * r }),
                            min: (v) => (v.min < 0 ? -roundUp(-v.min * 1.35) : 0), max: (v) => (v.max > 0 ? roundUp(v.max * 1.25) : 0) }),
      series,
    }, rows, r), true);
  }

  function renderCharts() {
    const s = state.summary; if (!s) return;
    const r = rem();
    renderTrend(s, r); renderCategories(s, r); renderRanking(s, r); renderSeats(s, r);
  }

  // --- live feed --------------------------------------------------------------------------------
  const fresh = new Map();  // incident id → time it arrived live (highlighted for a few seconds)
  const localDay = (iso) => new Date(iso).toLocaleDateString("en-CA", { timeZone: cfg.timeZone });  // YYYY-MM-DD
  function feedRow(p) {
    const li = el("li", p.overdue ? "overdue" : "");
    li.dataset.incidentId = p.id;
    if (Date.now() - (fresh.get(p.id) || 0) < 4000) li.classList.add("fresh");
    const today = state.summary && localDay(p.reported_at) === state.summary.today;
    li.append(el("span", "t", timeOf(p.reported_at, today ? { hour: "2-digit", minute: "2-digit" } : { month: "2-digit", day: "2-digit" })),
              el("span", "z", cfg.names[p.town_code] || ""), el("span", "n", (p.event_type && p.event_type.name) || ""),
              el("span", "s", p.status_label || p.status || ""));
    li.querySelectorAll(".z, .n").forEach((span) => span.setAttribute("translate", "no"));  // names are data
    return li;
  }
  function renderFeed(items) {
    const list = $("feed");
    list.replaceChildren(...items.map(feedRow));
    // Rows that do not fit are dropped, never scrolled.
    while (list.lastChild && list.lastChild.offsetTop + list.lastChild.offsetHeight > list.clientHeight + list.offsetTop) list.lastChild.remove();
  }
  function feedItems() {
    return (state.summary ? state.summary.incidents.feed : []);
  }
  // Reports newer than the figures (event id above the answer's `event_id`): counted at once, so
  // today's count moves with the event, until an answer that includes them replaces the sum.
  const unconfirmed = new Map();
  const WAITING = ["reported", "registered"];
  function shown() {
    const s = state.summary;
    const extra = [...unconfirmed.values()];
    if (!s || !extra.length) return s;
    const t = s.incidents.today;
    const today = Object.assign({}, t, { total: t.total + extra.length,
      ever_dispatched: t.ever_dispatched + extra.filter((p) => !WAITING.includes(p.status)).length });
    return Object.assign({}, s, { incidents: Object.assign({}, s.incidents, { today }) });
  }
  function onIncident(event) {
    const p = event.payload || {};
    if (p.id === undefined || !String(p.town_code || "").startsWith(ZONE)) return;
    fresh.set(p.id, Date.now());
    if (state.summary) {
      if (event.kind === "incident.created" && event.id > state.summary.event_id && localDay(p.reported_at) === state.summary.today) {
        unconfirmed.set(event.id, p);
        renderFigures(shown());
      }
      const feed = state.summary.incidents.feed.filter((item) => item.id !== p.id);
      feed.unshift(p);
      state.summary.incidents.feed = feed.slice(0, 30);
      renderFeed(state.summary.incidents.feed);
    }
    if (event.kind === "incident.created" && p.lat !== undefined) pulse(p);
    tilesDirty = true;
    scheduleRefresh(100, "live");
  }

  // --- figures ----------------------------------------------------------------------------------
  // "all" once a minute (rankings; approvals, seats and the ledger have no push here); "live"
  // (today, the period, the trend, the feed: a few fast queries) after incident events. One
  // request at a time.
  let refreshTimer = null, inFlight = false, pending = null;
  async function refresh(part) {
    if (inFlight) { pending = pending === "all" || part === "all" || !state.summary ? "all" : "live"; return; }
    inFlight = true;
    const wanted = state.summary ? part : "all";
    try {
      const response = await fetch(cfg.summary + "&part=" + wanted, { credentials: "same-origin", headers: { Accept: "application/json" } });
      if (response.ok) {
        const body = await response.json();
        if (wanted === "live") {
          Object.assign(state.summary.incidents, body.incidents);
          Object.assign(state.summary, { event_id: body.event_id, today: body.today, at: body.at });
        } else {
          state.summary = body;
        }
        [...unconfirmed.keys()].forEach((id) => { if (id <= body.event_id) unconfirmed.delete(id); });
        state.refreshes += 1;
        renderFigures(shown()); renderFeed(feedItems());
        setTimeout(() => { renderCharts(); state.ready = true; }, 0);  // numbers first, charts next frame
      }
    } catch (e) { /* keep the last figures; the next event or tick retries */ }
    inFlight = false;
    if (pending) { const next = pending; pending = null; refresh(next); }
  }
  let scheduled = null;  // the part a waiting timer will ask for ("all" wins over "live")
  function scheduleRefresh(delay, part) {
    scheduled = scheduled === "all" ? "all" : part;
    clearTimeout(refreshTimer);
    refreshTimer = setTimeout(() => { const next = scheduled; scheduled = null; refresh(next); }, delay);
  }
  setInterval(() => scheduleRefresh(0, "all"), 60000);

  // --- map --------------------------------------------------------------------------------------
  const map = L.map("map", { zoomControl: false, attributionControl: false, dragging: false, scrollWheelZoom: false,
    doubleClickZoom: false, boxZoom: false, keyboard: false, touchZoom: false, zoomSnap: 0.25, fadeAnimation: false });
  if (cfg.tileUrl) L.tileLayer(cfg.tileUrl, { opacity: 0.35 }).addTo(map);
  const bounds = L.latLngBounds(cfg.zone.bounds);
  const fit = () => { map.invalidateSize(); map.fitBounds(bounds, { padding: [rem(), rem()], animate: false }); };
  fit();
  const HEAT = [[30, "#f97316"], [10, "#db2777"], [3, "#7c3aed"], [1, "#1e3a8a"]];
  function zoneStyle(p) {
    if (!String(p.code || "").startsWith(ZONE)) return { stroke: false, fill: false };
    const n = p.open || 0;
    const colour = (HEAT.find(([min]) => n >= min) || [0, "#0b1f45"])[1];
    return { fill: true, fillColor: colour, fillOpacity: 0.55, color: "#3b82f6", weight: p.level <= 1 ? 2 : 1, opacity: 0.8 };
  }
  function incidentStyle(p) {
    const radius = p.count !== undefined ? Math.min(24, 4 + Math.sqrt(p.count) * 1.8) : 4;
    return { radius, fill: true, fillColor: p.overdue ? "#f97316" : "#fde047", fillOpacity: 0.85, color: "#0b1f45", weight: 1 };
  }
  const tileLayer = (kind, style) => L.vectorGrid.protobuf(cfg.tiles[kind], {
    vectorTileLayerStyles: { [kind]: style }, rendererFactory: L.canvas.tile, interactive: false,
    maxNativeZoom: 18, fetchOptions: { credentials: "same-origin" } });
  let layers = [tileLayer("zones", zoneStyle), tileLayer("incidents", incidentStyle)];
  layers.forEach((layer) => layer.addTo(map));
  state.tilesLoading = () => layers.some((layer) => layer.isLoading());
  // Everything outside the zone is dimmed: a town's screen shows its town only.
  const outline = JSON.parse(cfg.zone.outline);
  const rings = (outline.type === "Polygon" ? [outline.coordinates] : outline.coordinates).map((poly) => poly[0].map(([x, y]) => [y, x]));
  map.createPane("mask").style.zIndex = 450;
  L.polygon([[[-89, -179], [-89, 179], [89, 179], [89, -179]], ...rings], { pane: "mask", stroke: false, fillColor: "#050b1a", fillOpacity: 0.82, interactive: false }).addTo(map);
  L.polygon(rings, { pane: "mask", color: "#38bdf8", weight: 3, fill: false, interactive: false }).addTo(map);
  let tilesDirty = false;
  setInterval(() => {  // redraw the heat and clusters once live changes have come in
    if (!tilesDirty) return;
    tilesDirty = false;
    const old = layers;
    layers = [tileLayer("zones", zoneStyle), tileLayer("incidents", incidentStyle)];
    let pending = layers.length;
    layers.forEach((layer) => { layer.once("load", () => { pending -= 1; if (!pending) old.forEach((o) => map.removeLayer(o)); }); layer.addTo(map); });
  }, 15000);
  map.createPane("live").style.zIndex = 650;
  function pulse(p) {
    const marker = L.circleMarker([p.lat, p.lon], { pane: "live", radius: 8, color: "#fde047", weight: 2, fillColor: "#fde047",
      fillOpacity: 1, className: "live-pulse", interactive: false }).addTo(map);
    setTimeout(() => map.removeLayer(marker), 60000);
  }

  // --- clock and resize -------------------------------------------------------------------------
  const tick = () => { $("sc-clock").textContent = new Date().toLocaleString(LOCALE, { timeZone: cfg.timeZone, hour12: false }); };
  tick(); setInterval(tick, 1000);
  let resizeTimer = null;
  window.addEventListener("resize", () => {
    clearTimeout(resizeTimer);
    resizeTimer = setTimeout(() => { fit(); Object.values(state.charts).forEach((c) => c.resize()); renderCharts(); renderFeed(feedItems()); }, 100);
  });

  // --- live events ------------------------------------------------------------------------------
  const seen = new Set();
  function setConn(s) { $("conn").dataset.state = s; $("conn-text").textContent = s === "live" ? T.live : T.reconnecting; }
  function handle(message) {
    if (message.kind === "realtime.hello") { if (message.reset) scheduleRefresh(0, "all"); return; }
    if (message.id === undefined || seen.has(message.id)) return;
    seen.add(message.id);
    state.received.push(Object.assign({ arrivedAt: Date.now() }, message));
    if (String(message.kind).startsWith("incident.")) onIncident(message);
  }
  state.live = window.gridopsLiveSocket(cfg.ws, { lastId: cfg.lastId, onMessage: handle, onState: setConn });
  refresh("all");
})();
