/* The applicant's page: item choice, offered documents (数据跑路), submission, status and rating. */
(function () {
  "use strict";
  const form = document.getElementById("apply-form"), T = window.APPROVALS_T;
  const csrf = form.querySelector("[name=csrfmiddlewaretoken]").value;
  const $ = (id) => document.getElementById(id);
  function el(tag, attrs, text) { const e = document.createElement(tag); Object.assign(e, attrs || {}); if (text != null) e.textContent = text; return e; }
  fetch(form.dataset.itemsUrl).then((r) => r.json()).then((items) => {
    for (const it of items) $("ap-item").append(el("option", { value: it.code, translate: false }, `${it.name}（${it.department_name}）`));
    loadDocs();
  });
  function loadDocs() {
    const url = form.dataset.offeredUrl + "?item=" + encodeURIComponent($("ap-item").value);
    fetch(url).then((r) => r.json()).then((data) => {
      const box = $("ap-docs"); box.replaceChildren();
      for (const d of data.documents) {
        const row = el("div", { className: "doc-row" });
        row.append(el("strong", { translate: false }, d.name), " ", el("small", {}, d.required ? T.required : T.optional), el("br"));
        if (d.offered) {
          const cb = el("input", { type: "checkbox", name: "reuse", value: d.offered.id, checked: true, id: "reuse-" + d.code });
          row.append(cb, el("label", { htmlFor: cb.id, style: "display:inline" }, ` ${T.reuse} ${d.offered.uploaded_at.slice(0, 10)}`), el("br"));
        }
        const file = el("input", { type: "file", name: "documents." + d.code, accept: "application/pdf,image/jpeg,image/png" });
        file.setAttribute("aria-label", d.name);  // the document's name is its label (data: not translated)
        file.setAttribute("translate", "no");
        row.append(file);
        box.append(row);
      }
    });
  }
  $("ap-item").addEventListener("change", loadDocs);
  form.addEventListener("submit", (e) => {
    e.preventDefault();
    const body = new FormData(form);
    for (const [k, v] of [...body.entries()]) if (v instanceof File && !v.size) body.delete(k);
    fetch(form.dataset.casesUrl, { method: "POST", body, headers: { "X-CSRFToken": csrf } })
      .then((r) => r.json().then((j) => [r.ok, j])).then(([ok, j]) => {
        $("ap-result").textContent = ok ? `${T.submitted} ${j.number}` : j.error.message;
        $("ap-result").className = ok ? "" : "error";
        if (ok) { loadCases(); loadDocs(); }
      });
  });
  function rateForm(c) {
    const f = el("form");
    const sel = el("select", { name: "rating" });
    for (const k of ["satisfied", "basic", "unsatisfied"]) sel.append(el("option", { value: k }, T[k]));
    const comment = el("input", { name: "comment", placeholder: T.comment });
    f.append(sel, " ", comment, " ", el("button", { className: "btn secondary", type: "submit" }, T.rate));
    f.onsubmit = (e) => {
      e.preventDefault();
      fetch(form.dataset.casesUrl + c.number + "/rating/", { method: "POST", headers: { "X-CSRFToken": csrf, "Content-Type": "application/json" },
        body: JSON.stringify({ rating: sel.value, comment: comment.value }) }).then(loadCases);
    };
    return f;
  }
  function loadCases() {
    fetch(form.dataset.casesUrl + "?mine=1").then((r) => r.json()).then((cases) => {
      const box = $("ap-cases"); box.replaceChildren();
      for (const c of cases) {
        const row = el("div", { className: "case-row", id: "case-" + c.number });
        row.append(el("strong", { translate: false }, c.number), " ", el("span", { translate: false }, c.item_name), " · ", el("span", { className: "state" }, c.state_label),
          c.due_date ? ` · ${T.due} ${c.due_date}` : "");
        if (["approved", "refused", "delivered"].includes(c.state) && !c.rating) row.append(rateForm(c));
        else if (c.rating) row.append(" · ", T[c.rating]);
        box.append(row);
      }
    });
  }
  loadCases();
})();
