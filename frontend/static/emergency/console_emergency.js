/* Emergency response on the operator console: declare an emergency over an area drawn on the map
 * (Leaflet.draw: a polygon, or a circle sent as a point and a radius in metres), and the
 * acknowledgement board of each active emergency, kept live from the console's one socket
 * (console.js re-dispatches every event as "gridops:event"). Rules stay on the server: who is
 * tasked, the deadline, the counts; this file only shows what the API answers. */
(function () {
  "use strict";
  const cfg = JSON.parse(document.getElementById("emergency-config").textContent);
  const T = cfg.i18n;
  const $ = (id) => document.getElementById(id);
  const map = window.gridopsConsole && window.gridopsConsole.map;
  if (!map) return;
  const { el, fmt, csrf } = window.GridOpsDom;
  const url = (name, id) => cfg.api[name].replace("/0/", "/" + id + "/");
  const when = (value) => new Date(value).toLocaleString(document.documentElement.lang || "zh-hans",
                                                          { timeZone: "Asia/Shanghai", hour12: false });
  async function call(path, body) {
    const r = await fetch(path, {
      method: body === undefined ? "GET" : "POST", credentials: "same-origin",
      headers: { Accept: "application/json", "Content-Type": "application/json", "X-CSRFToken": csrf() },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const data = await r.json().catch(() => ({}));
    if (!r.ok) throw new Error((data.error && data.error.message) || T.failed);
    return data;
  }
  const state = window.gridopsEmergency = { shown: null, boards: {}, drawn: null };

  // --- drawing and declaring ----------------------------------------------------------------
  // Leaflet.draw's own texts, in the page's language.
  const D = L.drawLocal.draw;
  Object.assign(D.toolbar.buttons, { polygon: T.drawPolygon, circle: T.drawCircle });
  Object.assign(D.toolbar.actions, { title: T.cancel, text: T.cancel });
  Object.assign(D.toolbar.finish, { title: T.finish, text: T.finish });
  Object.assign(D.toolbar.undo, { title: T.undo, text: T.undo });
  Object.assign(D.handlers.polygon.tooltip, { start: T.tipStart, cont: T.tipCont, end: T.tipEnd });
  Object.assign(D.handlers.circle.tooltip, { start: T.tipCircle });
  const drawnLayer = new L.FeatureGroup().addTo(map);
  const areaLayer = L.geoJSON(null, { style: { color: "#c0392b", weight: 3, fillOpacity: 0.08 } }).addTo(map);
  const draw = new L.Control.Draw({
    position: "topright",
    // showArea off: Leaflet.draw 1.0.4's area readout throws under Leaflet 1.9 (an undeclared variable).
    draw: { polygon: { showArea: false, shapeOptions: { color: "#c0392b" } }, circle: { shapeOptions: { color: "#c0392b" } },
            polyline: false, rectangle: false, marker: false, circlemarker: false },
    edit: { featureGroup: drawnLayer, edit: false, remove: false },
  });
  $("em-declare-open").addEventListener("click", () => {
    $("em-form").hidden = false; $("em-declare-open").hidden = true; map.addControl(draw);
  });
  function closeForm() {
    $("em-form").hidden = true; $("em-declare-open").hidden = false; $("em-error").textContent = "";
    drawnLayer.clearLayers(); state.drawn = null; map.removeControl(draw);
  }
  $("em-cancel").addEventListener("click", closeForm);
  map.on(L.Draw.Event.CREATED, (e) => { drawnLayer.clearLayers(); drawnLayer.addLayer(e.layer); state.drawn = e.layer; });
  function area() {
    const layer = state.drawn;
    if (!layer) return null;
    if (layer instanceof L.Circle) {
      const c = layer.getLatLng();
      return { point: [c.lng, c.lat], radius_m: layer.getRadius() };
    }
    return { polygon: layer.toGeoJSON().geometry };
  }
  $("em-form").addEventListener("submit", async (e) => {
    e.preventDefault();
    const form = new FormData(e.target);
    const drawnArea = area();
    if (!drawnArea) { $("em-error").textContent = T.drawFirst; return; }
    try {
      const body = { kind: form.get("kind"), title: form.get("title"), area: drawnArea,
                     client_key: crypto.randomUUID ? crypto.randomUUID() : String(Date.now()) };
      const emergency = await call(cfg.api.list, body);
      closeForm();
      $("em-status").textContent = fmt(T.declared, { title: emergency.title });
      await loadList(); show(emergency);
    } catch (err) { $("em-error").textContent = err.message; }
  });

  // --- the list and the board ---------------------------------------------------------------
  async function loadList() {
    const data = await call(cfg.api.list + "?status=active");
    const list = $("em-list"); list.replaceChildren();
    if (!data.results.length) list.appendChild(el("li", {}, T.none));
    data.results.forEach((e) => {
      const b = el("button", { type: "button", class: "item", "data-emergency-id": e.id });
      b.appendChild(el("b", {}, (T.kinds[e.kind] || e.kind) + " "));
      b.appendChild(el("span", { translate: "no" }, e.title));
      b.addEventListener("click", async () => show(await call(url("detail", e.id))));
      list.appendChild(el("li")).appendChild(b);
    });
  }
  function show(detail) {
    state.shown = detail.id; state.boards[detail.id] = detail;
    areaLayer.clearLayers(); areaLayer.addData(detail.area);
    const box = $("em-board"); box.hidden = false; box.replaceChildren();
    box.dataset.emergencyId = detail.id;
    box.appendChild(el("h3", { translate: "no" }, detail.title));
    box.appendChild(el("p", {}, fmt(T.deadline, { when: when(detail.ack_deadline) }) +
      (detail.escalation_level ? " · " + fmt(T.level, { level: detail.escalation_level }) : "")));
    box.appendChild(el("p", { id: "em-counts", class: "em-counts", "aria-live": "polite" }));
    const table = el("table", { class: "em-tasks" });
    const head = table.appendChild(el("tr"));
    [T.worker, T.state].forEach((h) => head.appendChild(el("th", {}, h)));
    detail.board.tasks.forEach((t) => table.appendChild(row(t)));
    box.appendChild(table);
    const actions = box.appendChild(el("div", { class: "actions" }));
    [["escalate", T.escalate], ["close", T.close]].forEach(([name, label]) => {
      const b = actions.appendChild(el("button", { type: "button", class: "btn secondary" }, label));
      b.addEventListener("click", async () => {
        try { await call(url(name, detail.id), {}); await loadList(); refresh(detail.id); } catch (err) { $("em-status").textContent = err.message; }
      });
    });
    counts();
  }
  function row(task) {
    const tr = el("tr", { "data-task-id": task.id, "data-status": task.status });
    tr.appendChild(el("td", { translate: "no" }, task.worker));
    tr.appendChild(el("td", { class: "em-state" }, T.statuses[task.status] || task.status));
    return tr;
  }
  function counts() {
    const rows = [...document.querySelectorAll("#em-board tr[data-status]")];
    const n = (s) => rows.filter((r) => r.dataset.status === s).length;
    $("em-counts").textContent = fmt(T.counts, { ack: n("acknowledged"), way: n("on_the_way"), arrived: n("arrived"), silent: n("notified") });
  }
  async function refresh(id) { try { show(await call(url("detail", id))); } catch (err) { /* closed or out of reach */ } }

  document.addEventListener("gridops:event", (e) => {
    const m = e.detail || {};
    if (!String(m.kind).startsWith("emergency.")) return;
    const p = m.payload || {};
    if (m.kind === "emergency.task" && p.task && state.shown === p.task.emergency_id) {
      const old = document.querySelector('#em-board tr[data-task-id="' + p.task.id + '"]');
      if (old) { old.replaceWith(row(p.task)); counts(); }
      return;
    }
    if (m.kind !== "emergency.task") {
      loadList();
      if (p.emergency && state.shown === p.emergency.id) refresh(p.emergency.id);
    }
  });
  loadList();
})();
