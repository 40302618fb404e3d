/* The zone map: the hierarchy with a level switcher; click a zone for its details.
 * Data comes from the zones API (GeoJSON, simplified at small zooms). All text reaches the DOM
 * through textContent, never innerHTML, so names can never inject markup. */
(function () {
  "use strict";
  var T = JSON.parse(document.getElementById("zone-map-i18n").textContent);
  var mapEl = document.getElementById("map");
  var DENSITY_STEPS = [0, 2000, 5000, 10000, 20000, 40000];
  var COLORS = ["#f7fbff", "#c6dbef", "#9ecae1", "#6baed6", "#3182bd", "#08519c"];
  var state = { map: null, layer: null, towns: null, level: "grid", selected: null };

  function el(tag, attrs, text) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (k) { node.setAttribute(k, attrs[k]); });
    if (text !== undefined) node.textContent = text;
    return node;
  }

  function density(props) {
    return props.area_m2 > 0 ? props.residents / (props.area_m2 / 1e6) : 0;
  }

  function colorFor(value) {
    for (var i = DENSITY_STEPS.length - 1; i >= 0; i--) if (value >= DENSITY_STEPS[i]) return COLORS[i];
    return COLORS[0];
  }

  function tolerance() {
    var z = state.map.getZoom();
    return z >= 15 ? 0 : z >= 13 ? 0.00005 : 0.0002;
  }

  function fetchJSON(url) {
    return fetch(url, { credentials: "same-origin" }).then(function (r) {
      if (!r.ok) throw new Error(r.status + " " + url);
      return r.json();
    });
  }

  function zonesUrl(level) {
    return mapEl.dataset.zonesUrl + "?level=" + level + "&simplify=" + tolerance();
  }

  function showCount(collection) {
    var n = collection.features.length;
    var towns = state.towns ? state.towns.getLayers().length : 0;
    var template = state.level === "town" ? T.countTowns : T.count;
    document.getElementById("zone-count").textContent =
      template.replace("{n}", n).replace("{level}", T.levels[state.level]).replace("{towns}", towns);
  }

  function loadLevel() {
    return fetchJSON(zonesUrl(state.level)).then(function (collection) {
      if (state.layer) state.map.removeLayer(state.layer);
      state.layer = L.geoJSON(collection, {
        style: function (f) {
          return { className: "zone zone-" + state.level, color: "#445", weight: state.level === "grid" ? 0.6 : 1.2, fillOpacity: 0.65,
                   fillColor: colorFor(density(f.properties)) };
        },
        onEachFeature: function (feature, layer) {
          layer.on("click", function () { select(feature.properties.code, layer); });
        }
      }).addTo(state.map);
      if (state.towns) state.towns.bringToFront();
      showCount(collection);
      return collection;
    });
  }

  function loadTowns() {
    return fetchJSON(mapEl.dataset.zonesUrl + "?level=town&simplify=0.0001").then(function (collection) {
      state.towns = L.geoJSON(collection, {
        interactive: false,
        style: { color: "#b3261e", weight: 3, fill: false }
      }).addTo(state.map);
      state.map.fitBounds(state.towns.getBounds());
    });
  }

  function select(code, layer) {
    if (state.selected) state.layer.resetStyle(state.selected);
    state.selected = layer;
    layer.setStyle({ weight: 3, color: "#ff6d00" });
    fetchJSON(mapEl.dataset.zoneUrl.replace("CODE", encodeURIComponent(code))).then(showZone);
  }

  function showZone(feature) {
    var p = feature.properties;
    var box = document.getElementById("zone-info");
    box.replaceChildren();
    box.appendChild(el("h3", { translate: "no" }, p.name));
    var dl = el("dl", { "class": "kv" });
    [[T.code, p.code], [T.level, T.levelNames[p.level]], [T.residents, p.residents.toLocaleString()],
     [T.households, p.households.toLocaleString()], [T.area, (p.area_m2 / 1e6).toFixed(3) + " km²"],
     [T.children, String(p.children)]].forEach(function (row) {
      dl.appendChild(el("dt", {}, row[0]));
      dl.appendChild(el("dd", {}, row[1]));
    });
    box.appendChild(dl);
    box.appendChild(el("h4", {}, T.chain));
    var ol = el("ol", { "class": "chain" });
    p.chain.forEach(function (z) { ol.appendChild(el("li", { translate: "no" }, z.name + " (" + z.code + ")")); });
    box.appendChild(ol);
  }

  function addLegend() {
    var legend = L.control({ position: "bottomleft" });
    legend.onAdd = function () {
      var div = el("div", { "class": "legend" });
      div.appendChild(el("strong", {}, T.legendTitle));
      DENSITY_STEPS.forEach(function (step, i) {
        var row = el("div");
        var swatch = el("i");
        swatch.style.background = COLORS[i];
        row.appendChild(swatch);
        var next = DENSITY_STEPS[i + 1];
        row.appendChild(document.createTextNode(next ? step + "–" + next : "≥ " + step));
        div.appendChild(row);
      });
      var town = el("div");
      var line = el("i");
      line.style.border = "3px solid #b3261e";
      line.style.background = "transparent";
      town.appendChild(line);
      town.appendChild(document.createTextNode(T.townBoundary));
      div.appendChild(town);
      return div;
    };
    legend.addTo(state.map);
  }

  function addCentres() {
    fetchJSON(mapEl.dataset.centresUrl).then(function (collection) {
      L.geoJSON(collection, {
        pointToLayer: function (f, latlng) {
          return L.circleMarker(latlng, { radius: 7, color: "#000", weight: 2, fillColor: "#ffd600", fillOpacity: 1 });
        },
        onEachFeature: function (f, layer) {
          // Town sub-centres sit at the town seats: their permanent label names the town.
          var town = f.properties.level === "town";
          layer.bindTooltip(el("span", { translate: "no" }, town ? f.properties.zone_name : f.properties.name),
                            { permanent: town, direction: "top", className: town ? "town-label" : "" });
        }
      }).addTo(state.map);
    });
  }

  window.initZoneMap = function (map) {
    state.map = map;
    mapEl.dataset.ready = "0";
    addLegend();
    loadTowns().then(loadLevel).then(function () { mapEl.dataset.ready = "1"; });
    addCentres();
    document.getElementById("level-switch").addEventListener("change", function (ev) {
      state.level = ev.target.value;
      loadLevel();
    });
    var lastTolerance = null;
    map.on("zoomend", function () {
      var t = tolerance();
      if (t !== lastTolerance && lastTolerance !== null) loadLevel();
      lastTolerance = t;
    });
    lastTolerance = tolerance();
  };
})();
