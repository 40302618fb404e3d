/* The language switcher submits its form when a language is chosen. A listener in a static file,
 * not an onchange="" attribute: the Content-Security-Policy runs no inline handlers. */
(function () {
  "use strict";
  document.querySelectorAll("form.lang-form select[name=language]").forEach(function (select) {
    select.addEventListener("change", function () { select.form.submit(); });
  });
})();
