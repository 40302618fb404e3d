/* The approvals layer for any Leaflet map (the operator map includes it):
 *   const layer = GridOpsApprovals.hallLayer(map, {url, onChange});  layer.update(payload)
 * Each hall is a marker labelled with its live queue length; `update` takes a `hall.queue` event. */
(function () {
  "use strict";
  const A = window.GridOpsApprovals = window.GridOpsApprovals || {};
  const T = window.APPROVALS_T || {};
  function icon(props) {
    const waiting = props.today.waiting || 0;
    const station = props.kind === "village_station";
    const size = station ? 18 : 26 + Math.min(waiting, 30);
    const cls = "hall-marker" + (station ? " station" : "") + (waiting >= 10 ? " busy" : "");
    return L.divIcon({ className: "", html: `<div class="${cls}" data-hall="${props.code}" style="width:${size}px;height:${size}px;line-height:${size}px">${station && !waiting ? "" : waiting}</div>`, iconSize: [size, size] });
  }
  function popup(props) {
    const t = props.today, m = A.minutes;
    const rows = [[T.waiting, t.waiting], [T.serving, t.serving], [T.issued, t.issued], [T.served, t.served],
      [T.wait, m(t.median_wait_s)], [T.handling, m(t.median_handling_s)], [T.cases, t.cases], [T.counters, t.open_counters]];
    const div = document.createElement("div");
    const h = document.createElement("strong"); h.textContent = props.name; h.setAttribute("translate", "no"); div.append(h);
    const dl = document.createElement("dl"); dl.className = "kv";
    for (const [k, v] of rows) { const dt = document.createElement("dt"); dt.textContent = k; const dd = document.createElement("dd"); dd.textContent = v; dl.append(dt, dd); }
    const a = document.createElement("a"); a.href = "/approvals/halls/" + props.code + "/screen/"; a.textContent = T.screen || "screen";
    div.append(dl, a);
    return div;
  }
  A.hallLayer = function (map, opts) {
    const group = L.layerGroup().addTo(map), markers = new Map(), props = new Map();
    function place(p, latlng) {
      props.set(p.code, p);
      let marker = markers.get(p.code);
      if (!marker) {
        marker = L.marker(latlng, { icon: icon(p), title: p.name }).addTo(group); markers.set(p.code, marker);
        if (marker.getElement()) marker.getElement().setAttribute("translate", "no");  // its title is the hall's name
      }
      else marker.setIcon(icon(p));
      marker.bindPopup(() => popup(props.get(p.code)));
    }
    const ready = fetch(opts.url).then((r) => r.json()).then((fc) => {
      for (const f of fc.features) place(Object.assign({ code: f.id }, f.properties), [f.geometry.coordinates[1], f.geometry.coordinates[0]]);
      if (opts.onChange) opts.onChange(props);
      return fc;
    });
    function update(q) {
      const p = props.get(q.hall);
      if (!p) return;
      p.today = Object.assign({}, p.today, q.today, { waiting: q.waiting, serving: q.serving.length });
      place(p, markers.get(q.hall).getLatLng());
      if (opts.onChange) opts.onChange(props, q.hall);
    }
    return { group, ready, update, props };
  };
})();
