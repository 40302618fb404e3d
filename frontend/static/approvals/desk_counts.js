/* The reviewer's desk: how many of the department's cases wait in each state, in the state
 * picker, refreshed every 15 s. The desk opens on the first state (in the order a case moves)
 * that has cases, so new online applications are not hidden behind another filter, and a
 * status line says when new ones arrive. The list itself reloads through the picker's change
 * event (desk.js), so this file only counts. */
(function () {
  "use strict";
  const root = document.getElementById("desk");
  if (!root || root.dataset.mode !== "reviewer") return;
  const picker = document.getElementById("desk-state"), T = window.APPROVALS_T;
  const CAP = 200;  // the case list answers at most this many
  const labels = new Map([...picker.options].map((o) => [o.value, o.textContent.trim()]));
  let counts = null, first = true;

  function countOf(state) {
    return fetch(root.dataset.casesUrl + "?state=" + encodeURIComponent(state), { credentials: "same-origin" })
      .then((r) => (r.ok ? r.json() : []))
      .then((cases) => cases.filter((c) => c.department === root.dataset.department).length);
  }
  function show(next) {
    for (const option of picker.options) {
      const n = next[option.value];
      option.textContent = `${labels.get(option.value)} (${n >= CAP ? CAP + "+" : n})`;
      option.dataset.count = n;
    }
    const news = document.getElementById("desk-new");
    if (counts && next.submitted > counts.submitted) {
      news.textContent = T.newOnline.replace("{n}", next.submitted - counts.submitted);
      news.hidden = false;
    }
    if (first) {  // open on the first state that has work
      first = false;
      const busy = [...picker.options].find((o) => next[o.value] > 0);
      if (busy && busy.value !== picker.value) { picker.value = busy.value; picker.dispatchEvent(new Event("change")); }
    } else if (counts && counts[picker.value] !== next[picker.value]) {
      picker.dispatchEvent(new Event("change"));
    }
    counts = next;
  }
  function refresh() {
    const states = [...picker.options].map((o) => o.value);
    return Promise.all(states.map(countOf)).then((values) => {
      show(Object.fromEntries(states.map((s, i) => [s, values[i]])));
    }).catch(() => { /* the next round tries again */ });
  }
  picker.addEventListener("change", () => { document.getElementById("desk-new").hidden = true; });
  window.GridOpsDeskCounts = { refresh };
  refresh();
  setInterval(refresh, 15000);
})();
