/* Officers' view: check-ins on the map (flagged in red), live updates from the event stream. */
(function () {
  "use strict";
  const page = document.getElementById("corrections");
  const T = JSON.parse(document.getElementById("ledger-i18n").textContent || "{}");
  const map = L.map("checkin-map", { attributionControl: false }).setView([23.02, 113.1], 12);
  if (page.dataset.tileUrl) L.tileLayer(page.dataset.tileUrl, { maxZoom: 19 }).addTo(map);
  const layer = L.layerGroup().addTo(map);

  /* Built from DOM nodes with textContent: a name or case number can never inject markup. */
  function popup(props) {
    const div = document.createElement("div");
    [`${props.case_no} ${props.name}`, new Date(props.at).toLocaleString(), (props.reasons || []).join(", ")]
      .forEach((line, i) => { if (i) div.appendChild(document.createElement("br")); div.appendChild(document.createTextNode(line)); });
    return div;
  }

  function draw(fc) {
    layer.clearLayers();
    const points = [];
    fc.features.forEach((f) => {
      const [lon, lat] = f.geometry.coordinates;
      points.push([lat, lon]);
      L.circleMarker([lat, lon], { radius: f.properties.flagged ? 9 : 6, color: "#fff", weight: 2,
        fillColor: f.properties.flagged ? "#b3261e" : "#146c2e", fillOpacity: 0.9 })
        .bindPopup(popup(f.properties))
        .addTo(layer);
    });
    if (points.length) map.fitBounds(L.latLngBounds(points).pad(0.2));
    page.dataset.points = String(points.length);
  }
  const load = () => fetch(page.dataset.checkins).then((r) => r.json()).then(draw);
  load();

  let lastId = parseInt(page.dataset.lastId || "0", 10), backoff = 1000;
  function connect() {
    const proto = location.protocol === "https:" ? "wss:" : "ws:";
    const socket = new WebSocket(`${proto}//${location.host}${page.dataset.ws}?last_id=${lastId}`);
    socket.onopen = () => { backoff = 1000; document.getElementById("live-state").textContent = T.live || "live"; };
    socket.onmessage = (e) => {
      const m = JSON.parse(e.data);
      if (m.id) lastId = Math.max(lastId, m.id);
      if (m.kind === "ledger.checkin") {
        load();
        if (m.payload && m.payload.flagged) {
          const badge = document.getElementById("flagged-count");
          badge.textContent = String(parseInt(badge.textContent, 10) + 1);
        }
      }
    };
    socket.onclose = () => { document.getElementById("live-state").textContent = ""; setTimeout(connect, backoff); backoff = Math.min(backoff * 2, 10000); };
  }
  connect();
})();
