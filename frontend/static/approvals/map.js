/* The approvals map page: the hall layer, a list of centres by queue length, district totals. */
(function () {
  "use strict";
  const el = document.getElementById("approvals-map"), A = window.GridOpsApprovals, T = window.APPROVALS_T;
  const map = L.map(el, { zoomControl: true }).setView([23.01, 113.07], 12);
  if (el.dataset.tiles) L.tileLayer(el.dataset.tiles, { maxZoom: 19 }).addTo(map);
  const $ = (id) => document.getElementById(id);
  function summarise(props) {
    let waiting = 0, served = 0, cases = 0;
    const centres = [];
    for (const p of props.values()) {
      waiting += p.today.waiting || 0; served += p.today.served || 0; cases += p.today.cases || 0;
      if (p.kind !== "village_station" || p.today.waiting) centres.push(p);
    }
    $("am-waiting").textContent = waiting; $("am-served").textContent = served; $("am-cases").textContent = cases;
    centres.sort((a, b) => (b.today.waiting - a.today.waiting) || a.code.localeCompare(b.code));
    const list = $("am-list"); list.replaceChildren();
    for (const p of centres) {
      const li = document.createElement("li"); li.dataset.hall = p.code;
      const q = document.createElement("span"); q.className = "q"; q.textContent = p.today.waiting;
      const name = document.createElement("span"); name.textContent = p.name; name.setAttribute("translate", "no");
      li.append(name, q);
      li.onclick = () => { location.href = "/approvals/halls/" + p.code + "/screen/"; };
      list.append(li);
    }
  }
  const layer = A.hallLayer(map, { url: el.dataset.layerUrl, onChange: summarise });
  function poll() { setInterval(() => fetch(el.dataset.layerUrl).then((r) => r.json()).then((fc) => {
    for (const f of fc.features) layer.update(Object.assign({ hall: f.id, waiting: f.properties.today.waiting, serving: new Array(f.properties.today.serving) }, { today: f.properties.today }));
  }), 10000); }
  function status(s) { $("am-status").textContent = T[s] || s; $("am-status").dataset.status = s; }
  layer.ready.then((fc) => {
    const pts = fc.features.map((f) => [f.geometry.coordinates[1], f.geometry.coordinates[0]]);
    if (pts.length) map.fitBounds(pts, { padding: [20, 20] });
    A.listen(layer.update, { authenticated: el.dataset.auth === "1", poll, onStatus: status });
  });
})();
