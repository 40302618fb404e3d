/* The hall screen: renders the queue payload (the same shape as the `hall.queue` event). */
(function () {
  "use strict";
  const root = document.getElementById("hall-screen");
  const code = root.dataset.hall, T = window.APPROVALS_T, A = window.GridOpsApprovals;
  const $ = (id) => document.getElementById(id);
  function text(el, value) { el.textContent = value; }
  function render(q) {
    if (q.hall !== code) return;
    text($("hs-waiting"), q.waiting);
    const rows = $("hs-serving-rows"); rows.replaceChildren();
    for (const s of q.serving) {
      const tr = document.createElement("tr");
      for (const v of [s.number, s.counter, s.item]) { const td = document.createElement("td"); td.textContent = v; tr.append(td); }
      rows.append(tr);
    }
    const next = $("hs-next"); next.replaceChildren();
    for (const n of q.next) { const li = document.createElement("li"); li.textContent = n; next.append(li); }
    text($("hs-issued"), q.today.issued); text($("hs-served"), q.today.served);
    text($("hs-wait"), A.minutes(q.today.median_wait_s)); text($("hs-handling"), A.minutes(q.today.median_handling_s));
    text($("hs-counters"), q.today.open_counters);
  }
  let pollTimer = null;
  function fetchQueue() { return fetch(root.dataset.queueUrl).then((r) => r.json()).then(render); }
  function poll() { fetchQueue(); clearInterval(pollTimer); pollTimer = setInterval(fetchQueue, 5000); }
  function status(s) { const el = $("hs-status"); el.dataset.status = s; el.textContent = T[s] || s; }
  fetchQueue().then(() => A.listen(render, { authenticated: root.dataset.auth === "1", poll, onStatus: status }));
})();
