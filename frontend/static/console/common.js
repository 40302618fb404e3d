/* GridOps operator console: what the console's scripts share (configuration, DOM and fetch helpers).
 * Text from the server is always inserted with textContent (never innerHTML). */
(function () {
  "use strict";
  const cfg = JSON.parse(document.getElementById("console-config").textContent);
  const { el, fmt, csrf } = window.GridOpsDom;
  // Data (names of places, event types, addresses, notes) is marked translate="no": it is what
  // people wrote, not interface text (the page scans and translation tools skip it).
  const data = (tag, text, attrs) => el(tag, Object.assign({ translate: "no" }, attrs || {}), text);
  /** Children in order: strings as text, elements as they are, empty parts left out, joined by sep. */
  const compose = (node, parts, sep) => {
    parts.filter((part) => part !== undefined && part !== null && part !== "").forEach((part, i) => {
      if (i && sep) node.appendChild(document.createTextNode(sep));
      node.appendChild(typeof part === "string" ? document.createTextNode(part) : part);
    });
    return node;
  };
  // Dates in the page's language and the district's time zone (not the browser's).
  const LOCALE = document.documentElement.lang || "zh-hans";
  const when = (iso) => (iso ? new Date(iso).toLocaleString(LOCALE, { timeZone: cfg.timeZone, hour12: false }) : "");

  async function getJson(url) {
    const response = await fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } });
    if (!response.ok) throw new Error(response.status);
    return response.json();
  }
  /** POST JSON; resolves to {ok, status, body} (the body of an error carries the server's message). */
  async function postJson(url, payload) {
    const response = await fetch(url, { method: "POST", credentials: "same-origin",
      headers: { "Content-Type": "application/json", Accept: "application/json", "X-CSRFToken": csrf() },
      body: JSON.stringify(payload) });
    let body = null;
    try { body = await response.json(); } catch (e) { /* an empty or non-JSON answer */ }
    return { ok: response.ok, status: response.status, body };
  }
  // The console's filter form as query parameters of the tiles and the KPI strip.
  function filterParams() {
    const params = new URLSearchParams();
    for (const [k, v] of new FormData(document.getElementById("filters")).entries()) if (v) params.set(k, v);
    return params;
  }
  // The same filters for the incident list API (open=1 and since= instead of status=open and days=).
  function listParams() {
    const params = new URLSearchParams();
    filterParams().forEach((v, k) => {
      if (k === "status" && v === "open") params.set("open", "1");
      else if (k === "days") params.set("since", new Date(Date.now() - Number(v) * 86400000).toISOString());
      else params.set(k, v);
    });
    return params;
  }

  window.GridOpsConsole = { cfg, T: cfg.i18n, el, data, compose, fmt, when, getJson, postJson, filterParams, listParams,
                            incidentUrl: (id, tail) => cfg.api.incidents + id + "/" + (tail || "") };
})();
