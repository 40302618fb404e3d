/* Ledger home: vendor stalls by verification state; notarise or look up a file by its SHA-256. */
(function () {
  "use strict";
  const page = document.getElementById("ledger-home");
  const T = JSON.parse(document.getElementById("ledger-i18n").textContent || "{}");
  const COLOURS = { verified: "#146c2e", pending: "#a86b00", mismatch: "#b3261e", inactive: "#777" };
  const csrf = (document.cookie.match(/csrftoken=([^;]+)/) || [])[1] || "";

  const map = L.map("vendor-map", { attributionControl: false }).setView([23.02, 113.1], 12);
  if (page.dataset.tileUrl) L.tileLayer(page.dataset.tileUrl, { maxZoom: 19 }).addTo(map);
  fetch(page.dataset.vendors).then((r) => r.json()).then((fc) => {
    const layer = L.geoJSON(fc, {
      pointToLayer: (f, ll) => L.circleMarker(ll, { radius: 8, color: "#fff", weight: 2, fillColor: COLOURS[f.properties.state] || "#777", fillOpacity: 0.9 }),
      onEachFeature: (f, l) => {
        const a = document.createElement("a");
        a.href = f.properties.page; a.textContent = `${f.properties.name} · ${f.properties.market} ${f.properties.stall_no}`;
        l.bindPopup(a);
      },
    }).addTo(map);
    if (fc.features.length) map.fitBounds(layer.getBounds().pad(0.2));
  });

  let digest = null;
  const steps = document.getElementById("notary-steps");
  const say = (text, ok) => { const li = document.createElement("li"); li.className = ok === true ? "ok" : ok === false ? "fail" : "unknown"; li.textContent = text; steps.appendChild(li); };
  document.getElementById("doc-file").addEventListener("change", async (e) => {
    const file = e.target.files[0];
    if (!file) return;
    digest = await window.LedgerVerify.fileSha256(file);
    document.getElementById("doc-hash").textContent = "SHA-256: " + digest;
    document.getElementById("notarise-btn").disabled = page.dataset.loggedIn !== "yes";
    document.getElementById("lookup-btn").disabled = false;
  });

  async function show(receipt) {
    const result = await window.LedgerVerify.verifyReceipt(receipt, page.dataset.publicKey);
    say(`${T.entry || "Entry"} #${receipt.entry.index} · ${T.tree_size || "tree size"} ${receipt.head.tree_size}`, null);
    result.steps.forEach((s) => say(T["step_" + s.name] || s.name, s.ok));
    say(T.hash_matches || "The logged hash is this file's", result.record.sha256 === digest);
    const link = document.getElementById("notary-receipt");
    link.href = URL.createObjectURL(new Blob([JSON.stringify(receipt, null, 2)], { type: "application/json" }));
    link.download = `receipt-${receipt.entry.index}.json`; link.hidden = false;
  }

  document.getElementById("notarise-btn").addEventListener("click", async () => {
    steps.innerHTML = "";
    const r = await fetch(page.dataset.notarise, { method: "POST", headers: { "Content-Type": "application/json", "X-CSRFToken": csrf }, body: JSON.stringify({ sha256: digest }) });
    const body = await r.json();
    if (!r.ok) { say(body.error ? body.error.message : String(r.status), false); return; }
    await show(body);
  });
  document.getElementById("lookup-btn").addEventListener("click", async () => {
    steps.innerHTML = "";
    const body = await (await fetch(page.dataset.notarise + "?sha256=" + digest)).json();
    if (!body.receipts || !body.receipts.length) { say(T.not_found || "Not notarised", false); return; }
    await show(body.receipts[0]);
  });
})();
