/* A vendor's public page: draw the stall, fetch the receipt and verify it locally. */
(function () {
  "use strict";
  const page = document.getElementById("vendor-page");
  const T = JSON.parse(document.getElementById("ledger-i18n").textContent || "{}");
  const lat = parseFloat(page.dataset.lat), lon = parseFloat(page.dataset.lon);
  const map = L.map("stall-map", { attributionControl: false }).setView([lat, lon], 16);
  const tileUrl = page.dataset.tileUrl;
  if (tileUrl) L.tileLayer(tileUrl, { maxZoom: 19 }).addTo(map);
  L.circleMarker([lat, lon], { radius: 9, color: "#0b57d0", fillOpacity: 0.8 }).addTo(map);

  function mark(step, ok) {
    const li = document.querySelector(`#proof-steps [data-step="${step}"]`);
    li.className = ok === true ? "ok" : ok === false ? "fail" : "unknown";
  }

  fetch(page.dataset.api, { headers: { Accept: "application/json" } })
    .then((r) => r.json())
    .then(async (body) => {
      const summary = document.getElementById("proof-summary");
      if (!body.receipt) { summary.textContent = T.not_signed || "Not yet under a signed tree head."; return; }
      const blob = new Blob([JSON.stringify(body.receipt, null, 2)], { type: "application/json" });
      const link = document.getElementById("receipt-link");
      link.href = URL.createObjectURL(blob); link.download = `receipt-${body.id}.json`;
      const result = await window.LedgerVerify.verifyReceipt(body.receipt, page.dataset.publicKey);
      result.steps.forEach((s) => mark(s.name, s.ok));
      const p = body.properties, r = result.record;
      const same = r.code === body.id && r.name === p.name && r.licence_no === p.licence_no &&
        r.market === p.market && r.stall_no === p.stall_no && r.active === p.active;
      mark("record", same);
      const ok = result.ok && same;
      summary.textContent = ok ? (T.verified || "Verified") : (T.failed || "Verification failed");
      summary.className = ok ? "live" : "error";
      page.dataset.verified = ok ? "yes" : "no";
    })
    .catch(() => { document.getElementById("proof-summary").textContent = T.failed || "Verification failed"; page.dataset.verified = "no"; });
})();
