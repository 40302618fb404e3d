/* GridOps console: foresight (预判) — the heat layer, the hot-spot layer and the early-warning list.
 * Loaded after console.js; shown only when the page's configuration carries `foresight` (command
 * centres). Warnings arrive live as `foresight.*` events relayed by console.js ("gridops:event"). */
(function () {
  "use strict";
  const C = window.GridOpsConsole;
  const F = C.cfg.foresight;
  const state = window.gridopsConsole;
  if (!F || !state) return;
  const T = F.i18n, map = state.map;
  const $ = (id) => document.getElementById(id);

  // --- layers --------------------------------------------------------------------------------
  const heat = L.heatLayer([], { radius: 18, blur: 14, minOpacity: 0.25 });
  async function loadHeat() {
    try {
      const body = await C.getJson(F.api.heat + "?" + C.listParams().toString());
      heat.setOptions({ max: Math.max(1, body.max) });
      heat.setLatLngs(body.cells);
    } catch (e) { /* the layer keeps what it showed */ }
  }
  // Gi* bins: 99/95/90 % hot (reds) and cold (blues), not significant transparent.
  const BIN_COLOURS = { 3: "#b2182b", 2: "#ef8a62", 1: "#fddbc7", "-1": "#d1e5f0", "-2": "#67a9cf", "-3": "#2166ac" };
  const hotspots = L.geoJSON(null, {
    style: (f) => {
      const colour = BIN_COLOURS[f.properties.bin];
      return { color: colour || "#94a3b8", weight: colour ? 1 : 0.3, fillColor: colour || "#000", fillOpacity: colour ? 0.55 : 0 };
    },
    onEachFeature: (f, layer) => layer.bindPopup(() => {
      const p = f.properties, box = C.el("div", { class: "popup" });
      box.appendChild(C.data("b", p.name));
      box.appendChild(C.el("p", {}, C.fmt(T.hotspotLine, { count: p.count, z: p.z.toFixed(2), p: p.p.toFixed(3) })));
      return box;
    }),
  });
  async function loadHotspots() {
    try {
      const category = new FormData($("filters")).get("category") || "";
      hotspots.clearLayers();
      hotspots.addData(await C.getJson(F.api.hotspots + (category ? "?category=" + encodeURIComponent(category) : "")));
    } catch (e) { /* keep the last */ }
  }
  function toggle(key, label, layer, load) {
    const lab = C.el("label"), box = C.el("input", { type: "checkbox", "data-layer": key });
    box.addEventListener("change", () => { if (box.checked) { layer.addTo(map); load(); } else map.removeLayer(layer); });
    lab.appendChild(box); lab.appendChild(document.createTextNode(" " + label)); $("toggles").appendChild(lab);
  }
  toggle("heat", T.heat, heat, loadHeat);
  toggle("hotspots", T.hotspots, hotspots, loadHotspots);
  $("filters").addEventListener("change", () => {
    if (map.hasLayer(heat)) loadHeat();
    if (map.hasLayer(hotspots)) loadHotspots();
  });

  // --- early warnings ------------------------------------------------------------------------
  const box = $("warnings");
  box.hidden = false;
  const list = $("warning-list");
  const shown = new Map();  // warning id → list item
  function item(w) {
    const li = C.el("li", { class: "warning" + (w.acknowledged_at ? " done" : ""), "data-warning": w.id });
    li.appendChild(C.data("b", w.grid_name || w.grid));
    li.appendChild(C.el("span", {}, " " + C.fmt(T.warningLine, { forecast: Number(w.forecast).toFixed(1), usual: Number(w.usual).toFixed(1) })));
    if (w.trend_label && w.trend) li.appendChild(C.el("span", { class: "trend" }, " · " + w.trend_label));
    if (w.acknowledged_at) {
      li.appendChild(C.el("span", { class: "ack" }, " · " + C.fmt(T.acknowledgedBy, { who: w.acknowledged_by || "" })));
    } else {
      const button = C.el("button", { class: "btn small", type: "button" }, T.acknowledge);
      button.addEventListener("click", async () => {
        button.disabled = true;
        const answer = await C.postJson(F.api.warnings + w.id + "/acknowledge/", {});
        if (answer.ok) put(answer.body); else button.disabled = false;
      });
      li.appendChild(button);
    }
    return li;
  }
  function put(w) {
    const fresh = item(w), old = shown.get(w.id);
    if (old) old.replaceWith(fresh); else list.prepend(fresh);
    shown.set(w.id, fresh);
    $("warning-empty").hidden = shown.size > 0;
  }
  async function loadWarnings() {
    try {
      const body = await C.getJson(F.api.warnings + "?open=1&limit=50");
      (body.results || []).reverse().forEach(put);
    } catch (e) { /* keep the list */ }
    $("warning-empty").hidden = shown.size > 0;
  }
  document.addEventListener("gridops:event", (e) => {
    const message = e.detail;
    if (message.kind === "foresight.warning" || message.kind === "foresight.acknowledged") {
      C.getJson(F.api.warnings + "?limit=50").then((body) => {
        const found = (body.results || []).find((w) => w.id === message.payload.id);
        if (found) put(found);
      }).catch(() => {});
    }
  });
  loadWarnings();
})();
