/* GridOps operator console: the incident list and search (the keyboard's way to every incident).
 *
 * The list is the incident API's: the user's jurisdiction, the console's filters and `q` (an
 * incident number, part of an address, part of a micro-grid's or village's name), all decided by
 * the server. Each row is a button that opens the incident panel.
 */
(function () {
  "use strict";
  const C = window.GridOpsConsole;
  const { T, el, data, compose, fmt } = C;
  const list = document.getElementById("list");
  const count = document.getElementById("list-count");
  const more = document.getElementById("list-more");
  const search = document.getElementById("search");
  let next = null;
  let request = 0;   // only the newest answer is shown when several are under way

  function row(feature) {
    const p = feature.properties || {};
    const id = feature.id ?? p.id;
    const button = compose(el("button", { type: "button", class: "item" + (p.overdue ? " overdue" : ""), "data-incident-id": id }),
      ["#" + id, p.event_type && data("span", p.event_type.name), p.status_label,
       (p.address || p.grid) && data("span", p.address || p.grid.name)], " · ");
    if (p.overdue) button.appendChild(el("span", { class: "badge overdue" }, T.overdue));
    button.addEventListener("click", () => C.openIncident(id, { opener: button }));
    const li = el("li", { "data-incident-id": id });
    li.appendChild(button);
    return li;
  }

  async function load(url, append) {
    const mine = ++request;
    list.setAttribute("aria-busy", "true");
    let page;
    try { page = await C.getJson(url); } catch (e) {
      if (mine === request) { count.textContent = T.failed + " (" + e.message + ")"; list.removeAttribute("aria-busy"); }
      return;
    }
    if (mine !== request) return;
    if (!append) list.replaceChildren();
    (page.features || []).forEach((f) => list.appendChild(row(f)));
    count.textContent = page.count === 0 ? T.noResults
      : fmt(page.count_capped ? T.resultCountCapped : T.resultCount, { n: page.count });
    // The API's absolute link, kept to its path (behind a TLS proxy its scheme may be wrong).
    next = page.next ? (({ pathname, search }) => pathname + search)(new URL(page.next, location.href)) : null;
    more.hidden = !next;
    list.removeAttribute("aria-busy");
  }

  function refresh() {
    const params = C.listParams();
    const q = search.elements.q.value.trim();
    if (q) params.set("q", q);
    params.set("page_size", "50");
    return load(C.cfg.api.incidents + "?" + params.toString(), false);
  }

  search.addEventListener("submit", (e) => { e.preventDefault(); refresh(); });
  more.addEventListener("click", () => { if (next) load(next, true); });
  document.getElementById("filters").addEventListener("change", refresh);
  C.refreshList = refresh;
  refresh();
})();
