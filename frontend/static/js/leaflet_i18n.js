/* Leaflet's own control texts (zoom buttons, the attribution's link title) in the page's
 * language, from Django's JavaScript catalogue (/jsi18n/, loaded just before this file by
 * LEAFLET_CONFIG's plugins). Runs before any page creates its map. */
(function () {
  "use strict";
  if (!window.L || typeof window.gettext !== "function") return;
  const escape = (text) => String(text).replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" }[c]));
  L.Control.Zoom.prototype.options.zoomInTitle = gettext("Zoom in");
  L.Control.Zoom.prototype.options.zoomOutTitle = gettext("Zoom out");
  L.Control.Attribution.prototype.options.prefix =
    '<a href="https://leafletjs.com" title="' + escape(gettext("A JavaScript library for interactive maps")) + '">Leaflet</a>';
})();
