/* GridOps pages' DOM helpers, in one place (the console, the tablet and their emergency cards).
 * Text is always inserted with textContent, never as HTML. */
(function () {
  "use strict";
  /** An element with attributes and (optional) text. */
  const el = (tag, attrs, text) => {
    const node = document.createElement(tag);
    Object.entries(attrs || {}).forEach(([k, v]) => node.setAttribute(k, v));
    if (text !== undefined && text !== null) node.textContent = String(text);
    return node;
  };
  /** "{name}" placeholders of a translated template filled from `values`. */
  const fmt = (template, values) => template.replace(/\{(\w+)\}/g, (_, k) => values[k] ?? "");
  /** Django's CSRF token from its cookie, for POSTs. */
  const csrf = () => (document.cookie.match(/(?:^|; )csrftoken=([^;]+)/) || [])[1] || "";
  window.GridOpsDom = { el, fmt, csrf };
})();
