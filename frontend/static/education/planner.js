/* The planner's education map: catchments coloured by gap, schools sized by seats, a what-if. */
(function () {
  "use strict";
  // Server text (school, grid names, error messages) is escaped before it joins any HTML string.
  const ESC = { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" };
  const esc = (value) => String(value == null ? "" : value).replace(/[&<>"']/g, (c) => ESC[c]);
  const T = JSON.parse(document.getElementById("edu-i18n").textContent);
  const el = (id) => document.getElementById(id);
  const fmt = (n) => (n === null || n === undefined ? "–" : Math.round(n).toLocaleString());
  const pct = (n) => (n === null || n === undefined ? "–" : (n * 100).toFixed(1) + "%");
  // Relative gap (gap / seats) → colour: shortage red, balance yellow, surplus green.
  const BANDS = [
    [-Infinity, -0.10, "#b2182b", "< -10%"], [-0.10, -0.03, "#ef8a62", "-10% – -3%"],
    [-0.03, 0.03, "#fddbc7", "±3%"], [0.03, 0.10, "#a6d96a", "3% – 10%"], [0.10, Infinity, "#1a9641", "> 10%"],
  ];
  function colour(row) {
    const rel = row.seats ? row.gap / row.seats : -1;
    return BANDS.find((b) => rel >= b[0] && rel < b[1])[2];
  }

  window.initEducationMap = function (map) {
    window.eduMap = map; // tests and the console read it
    const box = el("map").dataset;
    const url = (template, plan) => template.replace("/0/", "/" + plan + "/");
    const state = { level: "primary", schools: {}, target: null, picked: new Map(), mode: null, newSchool: null, whatif: null };
    const catchLayer = L.geoJSON(null, { style: styleCatchment, onEachFeature: bindCatchment }).addTo(map);
    const gridLayer = L.geoJSON(null, { style: styleGrid, onEachFeature: bindGrid });
    const schoolLayer = L.layerGroup().addTo(map);
    let fitted = false;

    const legend = L.control({ position: "bottomleft" });
    legend.onAdd = function () {
      const div = L.DomUtil.create("div", "legend");
      div.innerHTML = "<strong>" + esc(T.gapShare) + "</strong><br>" +
        BANDS.map((b) => '<i style="background:' + b[2] + '"></i>' + b[3]).join("<br>") +
        "<br><small>" + T.shortage + " ← → " + T.surplus + "</small>";
      return div;
    };
    legend.addTo(map);

    function params() {
      const p = new URLSearchParams({ year: el("year").value });
      ["birth_rate", "migration_hukou", "migration_non_hukou"].forEach((k) => { if (el(k).value !== "") p.set(k, el(k).value); });
      return p;
    }
    function plan() { return el("plan").value; }
    function rowOf(props) { return state.whatif && state.whatif[props.id] ? Object.assign({}, props, state.whatif[props.id]) : props; }

    function styleCatchment(feature) {
      const p = feature.properties;
      const hidden = p.level !== state.level;
      return { color: p.code === state.target ? "#0b57d0" : "#444", weight: p.code === state.target ? 3 : 1,
               fillColor: colour(rowOf(p)), fillOpacity: hidden ? 0 : 0.65, opacity: hidden ? 0 : 1 };
    }
    function styleGrid(feature) {
      const picked = state.picked.has(feature.properties.code);
      return { color: picked ? "#0b57d0" : "#777", weight: picked ? 2 : 0.5, fillOpacity: picked ? 0.45 : 0, fillColor: "#0b57d0" };
    }

    function bindCatchment(feature, layer) {
      layer.on("click", function (e) {
        const p = feature.properties;
        if (p.level !== state.level) return;
        if (pickTarget(p)) return;
        showSchool(p);
        serveAt(e.latlng);
      });
    }
    // In what-if mode a click on a catchment or a school chooses the school that takes the grids.
    // The mode shows: the pressed button, a banner over the map and the map's cursor.
    function setMode(mode) {
      state.mode = mode;
      const moving = mode === "pick-target" || mode === "pick-grids";
      const adding = mode === "new-school" || mode === "new-grids";
      el("whatif-start").setAttribute("aria-pressed", String(moving));
      el("newschool-start").setAttribute("aria-pressed", String(adding));
      el("map").dataset.mode = mode || "";
      const banner = el("mode-banner");
      banner.hidden = !mode;
      banner.textContent = moving ? T.modeMove : adding ? T.modeAdd : "";
      if (mode) el("whatif-box").open = true;
      showPicked();
    }
    function showPicked() {
      el("picked-count").textContent = state.mode && state.mode !== "pick-target" && state.mode !== "new-school"
        ? T.pickedCount.replace("{n}", state.picked.size) : "";
    }
    function pickTarget(p) {
      if (state.mode !== "pick-target") return false;
      state.target = p.code; setMode("pick-grids");
      el("whatif-hint").textContent = T.pickGrids.replace("{school}", p.name);
      gridLayer.addTo(map); gridLayer.bringToFront(); catchLayer.setStyle(styleCatchment);
      return true;
    }
    function bindGrid(feature, layer) {
      layer.on("click", function (e) {
        if (state.mode === "new-school") return placeSchool(e.latlng);
        if (state.mode !== "pick-grids" && state.mode !== "new-grids") return;
        const code = feature.properties.code;
        if (state.picked.has(code)) state.picked.delete(code); else state.picked.set(code, feature.properties.schools);
        layer.setStyle(styleGrid(feature));
        showPicked();
      });
    }

    function row(label, value, cls) { return "<tr><td>" + label + "</td><td class='" + (cls || "") + "'>" + value + "</td></tr>"; }
    function gapCell(gap) { return [(gap > 0 ? "+" : "") + fmt(gap), gap < 0 ? "neg" : "pos"]; }

    function showSchool(p) {
      const g = gapCell(p.gap), eg = gapCell(p.entry_gap);
      el("school-info").innerHTML = "<h3 translate='no'>" + esc(p.name) + "</h3><table>" +
        row(T.seats, fmt(p.seats)) + row(T.enrolled, fmt(p.enrolled)) + row(T.demand, fmt(p.demand)) +
        row(T.gap, g[0], g[1]) + row(T.entryGap, eg[0], eg[1]) + row(T.hukouShare, pct(p.hukou_share)) +
        row(T.enrolledHukou, pct(p.enrolled_hukou_share)) + row(T.grids, p.grids) + "</table>";
    }

    function serveAt(latlng) {
      const p = new URLSearchParams({ lon: latlng.lng, lat: latlng.lat, plan: plan() });
      fetch(box.serveUrl + "?" + p, { credentials: "same-origin" }).then((r) => r.json()).then((body) => {
        if (!body.schools) return;
        const schools = body.schools.filter((s) => s.level === state.level);  // the view's level only
        el("school-info").insertAdjacentHTML("beforeend", "<h4>" + T.serving + " · <span translate='no'>" + esc(body.grid.name) + "</span></h4><ul>" +
          schools.map((s) => "<li><span translate='no'>" + esc(s.name) + "</span> — " + fmt(s.straight_m) + " m " + T.straight +
            (s.road_m !== null ? ", " + fmt(s.road_m) + " m " + T.road : "") + (s.share < 1 ? " (" + pct(s.share) + ")" : "") + "</li>").join("") + "</ul>");
      });
    }

    function drawSchools(rows) {
      schoolLayer.clearLayers();
      rows.filter((r) => r.level === state.level && r.lon !== undefined).forEach((r) => {
        const shown = rowOf(r);
        L.circleMarker([r.lat, r.lon], { radius: 3 + Math.sqrt(r.seats || 0) / 4, color: "#111", weight: 1,
          fillColor: colour(shown), fillOpacity: 0.95, dashArray: r.planned ? "3" : null })
          .bindTooltip("<span translate='no'>" + esc(r.name) + "</span><br>" + T.seats + " " + fmt(r.seats) + " · " + T.gap + " " + fmt(shown.gap))
          .on("click", () => { if (!pickTarget(r)) showSchool(shown); }).addTo(schoolLayer);
      });
    }

    function showTotals(body) {
      const t = body.totals[state.level] || {};
      const g = gapCell(t.gap);
      el("totals").innerHTML = "<table>" + row(T.district + " · " + T.seats, fmt(t.seats)) +
        row(T.demand, fmt(t.district_demand)) + row(T.gap, g[0], g[1]) + row(T.unassigned, fmt(t.unassigned)) + "</table>";
    }

    function load() {
      const p = params();
      el("year-out").textContent = el("year").value;
      delete document.body.dataset.loaded; delete document.body.dataset.grids;
      fetch(url(box.catchmentsUrl, plan()) + "?" + p, { credentials: "same-origin" }).then((r) => r.json()).then((body) => {
        catchLayer.clearLayers();
        catchLayer.addData(body.features);
        state.schools = {};
        body.features.forEach((f) => { state.schools[f.properties.code] = f.properties; });
        drawSchools(body.features.map((f) => f.properties));
        showTotals(body);
        if (!fitted && catchLayer.getBounds().isValid()) { map.fitBounds(catchLayer.getBounds()); fitted = true; }
        document.body.dataset.loaded = "catchments";
      });
      fetch(url(box.gridsUrl, plan()) + "?" + p, { credentials: "same-origin" }).then((r) => r.json()).then((body) => {
        gridLayer.clearLayers(); gridLayer.addData(body.features); gridLayer.setStyle(styleGrid);
        document.body.dataset.grids = "loaded";
      });
    }

    function placeSchool(latlng) {
      state.newSchool = { key: "N1", name: T.newSchool, level: state.level, lon: latlng.lng, lat: latlng.lat,
                          seats_per_grade: parseInt(el("new-seats").value || "0", 10), grids: [] };
      setMode("new-grids");
      L.circleMarker(latlng, { radius: 9, color: "#0b57d0", dashArray: "3" }).addTo(schoolLayer);
      el("whatif-hint").textContent = T.pickGrids.replace("{school}", T.newSchool);
    }

    function runWhatif() {
      const body = { moves: [], new_schools: [] };
      const levelOf = (code) => (state.schools[code] || {}).level;
      const grids = Array.from(state.picked.keys());
      if (!grids.length) { el("whatif-result").textContent = T.noMoves; return; }
      if (state.newSchool) {
        state.newSchool.grids = grids;
        body.new_schools.push(state.newSchool);
      } else {
        grids.forEach((code) => {
          const from = (state.picked.get(code) || "").split(";").filter((s) => levelOf(s) === state.level && s !== state.target);
          if (!from.length) body.moves.push({ grids: [code], from: null, to: state.target });
          from.forEach((s) => body.moves.push({ grids: [code], from: s, to: state.target }));
        });
      }
      state.lastBody = body;  // "save into a draft" (plans.js) sends the same moves
      const csrf = (document.cookie.match(/csrftoken=([^;]+)/) || [])[1] || "";
      fetch(url(box.whatifUrl, plan()) + "?" + params(), { method: "POST", credentials: "same-origin",
        headers: { "Content-Type": "application/json", "X-CSRFToken": csrf }, body: JSON.stringify(body) })
        .then((r) => r.json()).then((data) => {
          if (data.error) {
            el("whatif-result").innerHTML = "<p class='error'>" + T.error + ": " + esc(data.error.message) + "</p>";
            el("whatif-result").scrollIntoView({ block: "nearest" });
            return;
          }
          state.whatif = {};
          data.schools.forEach((r) => { if (r.whatif) state.whatif[r.id] = r.whatif; });
          const changed = data.schools.filter((r) => data.changed.indexOf(r.code) >= 0);
          el("whatif-result").innerHTML = "<h4>" + T.changed + " (" + changed.length + ")</h4><table><tr><th></th><th>" + T.gap +
            "</th><th>→</th></tr>" + changed.map((r) => {
              const before = gapCell(r.gap), after = gapCell(r.whatif.gap);
              return "<tr><td translate='no'>" + esc(r.name) + "</td><td class='" + before[1] + "'>" + before[0] + "</td><td class='" + after[1] + "'>" + after[0] + "</td></tr>";
            }).join("") + "</table>";
          catchLayer.setStyle(styleCatchment);
          drawSchools(data.schools);
          el("whatif-result").scrollIntoView({ block: "nearest", behavior: "smooth" });
          document.body.dataset.loaded = "whatif";
        });
    }

    function clearWhatif() {
      state.target = null; state.picked.clear(); state.whatif = null; state.newSchool = null; setMode(null);
      map.removeLayer(gridLayer); gridLayer.setStyle(styleGrid); el("whatif-result").innerHTML = "";
      el("whatif-hint").textContent = T.pickTarget;
      load();
    }

    el("whatif-start").addEventListener("click", () => { clearWhatif(); setMode("pick-target"); });
    el("newschool-start").addEventListener("click", () => {
      clearWhatif(); setMode("new-school"); gridLayer.addTo(map); gridLayer.bringToFront();
      el("whatif-hint").textContent = T.clickMap;
    });
    el("whatif-run").addEventListener("click", runWhatif);
    el("whatif-clear").addEventListener("click", clearWhatif);
    ["plan", "year", "birth_rate", "migration_hukou", "migration_non_hukou"].forEach((id) => el(id).addEventListener("change", () => { state.whatif = null; load(); }));
    document.querySelectorAll("input[name=level]").forEach((r) => r.addEventListener("change", (e) => {
      state.level = e.target.value; catchLayer.setStyle(styleCatchment); drawSchools(Object.values(state.schools));
      load();
    }));
    document.querySelectorAll(".edu-exports a").forEach((a) => a.addEventListener("click", () => {
      const p = params(); p.set("plan", plan());
      window.location = box.exportUrl.replace("VIEW", a.dataset.view).replace("FMT", a.dataset.fmt) + "?" + p;
    }));
    window.eduPlanner = { load, picked: () => state.picked.size, mode: () => state.mode, whatifBody: () => state.lastBody };
    load();
  };
})();
