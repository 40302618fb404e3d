/* The staff back office: a clerk's counter (queue, call next, finish) or a reviewer's cases.
 * Every action goes through the JSON API with the session's CSRF token; the DOM is built with
 * textContent only, so no applicant or item text is ever parsed as HTML. */
(function () {
  "use strict";
  const root = document.getElementById("desk"), T = window.APPROVALS_T;
  const $ = (id) => document.getElementById(id);
  function el(tag, attrs, text) { const e = document.createElement(tag); Object.assign(e, attrs || {}); if (text != null) e.textContent = text; return e; }
  function csrf() {
    const m = document.cookie.match(/(?:^|;\s*)csrftoken=([^;]+)/);
    if (m) return decodeURIComponent(m[1]);
    const input = document.querySelector("[name=csrfmiddlewaretoken]");
    return input ? input.value : "";
  }
  function post(url, body) {
    return fetch(url, { method: "POST", credentials: "same-origin",
      headers: { "X-CSRFToken": csrf(), "Content-Type": "application/json" }, body: JSON.stringify(body || {}) })
      .then((r) => r.json().catch(() => ({})).then((j) => ({ ok: r.ok, status: r.status, data: j })));
  }
  function say(text, isError) { const m = $("desk-message"); m.textContent = text || ""; m.className = isError ? "error" : ""; }
  function errorText(res) { return (res.data && res.data.error && res.data.error.message) || String(res.status); }
  const withId = (url, id) => url.replace("/0/", "/" + id + "/");

  function clerkDesk() {
    const counters = JSON.parse($("desk-counters").textContent);
    const byId = new Map(counters.map((c) => [String(c.id), c]));
    const picker = $("desk-counter"), key = "approvals.desk.counter." + root.dataset.hall;
    if (localStorage.getItem(key) && byId.has(localStorage.getItem(key))) picker.value = localStorage.getItem(key);
    const current = () => byId.get(picker.value);

    function showServing() {
      const c = current(), t = c && c.serving;
      $("desk-ticket").textContent = t ? t.number : T.nobody;
      $("desk-ticket").dataset.ticket = t ? t.number : "";
      $("desk-item").textContent = t ? t.item_name : ""; $("desk-item").translate = false;
      $("desk-finish").disabled = $("desk-no-show").disabled = !t;
      $("desk-call").disabled = !c || !c.is_open || !!t;
    }
    function showQueue(q) {
      $("desk-waiting").textContent = q.waiting;
      $("desk-next").replaceChildren(...q.next.map((n) => el("li", {}, n)));
      $("desk-serving-rows").replaceChildren(...q.serving.map((s) => {
        const tr = el("tr");
        tr.append(el("td", {}, s.number), el("td", {}, String(s.counter)), el("td", { translate: false }, s.item));
        return tr;
      }));
    }
    function refresh() { return fetch(root.dataset.queueUrl).then((r) => r.json()).then(showQueue); }

    const verify = $("desk-verify");  // 核验: the clerk binds an identity after checking the document
    verify.addEventListener("submit", (e) => {
      e.preventDefault();
      post(verify.dataset.url, Object.fromEntries(new FormData(verify).entries())).then((res) => {
        const out = $("desk-verify-result");
        out.textContent = res.ok ? `${T.bound} ${res.data.username}: ${res.data.name} ${res.data.id_number}` : errorText(res);
        out.className = res.ok ? "" : "error";
        if (res.ok) verify.reset();
      });
    });
    picker.addEventListener("change", () => { localStorage.setItem(key, picker.value); say(""); showServing(); });
    $("desk-call").addEventListener("click", () => {
      const c = current();
      $("desk-call").disabled = true;
      post(withId(root.dataset.callUrl, c.id)).then((res) => {
        if (res.ok) {
          c.serving = { id: res.data.id, number: res.data.number, item_name: res.data.item_name };
          say(`${T.called} ${res.data.number}`);
        } else say(res.data.error && res.data.error.code === "queue_empty" ? T.queueEmpty : errorText(res), true);
        showServing(); refresh();
      });
    });
    function close(urlKey, doneText) {
      const c = current();
      if (!c || !c.serving) return;
      const number = c.serving.number;
      post(withId(root.dataset[urlKey], c.serving.id)).then((res) => {
        if (res.ok) { c.serving = null; say(`${doneText} ${number}`); } else say(errorText(res), true);
        showServing(); refresh();
      });
    }
    $("desk-finish").addEventListener("click", () => close("finishUrl", T.finished));
    $("desk-no-show").addEventListener("click", () => close("noShowUrl", T.noShow));

    showServing();
    refresh();
    let timer = null;
    window.GridOpsApprovals.listen((payload) => { if (payload.hall === root.dataset.hall) showQueue(payload); }, {
      authenticated: true,
      onStatus: (s) => { $("desk-status").dataset.status = s; $("desk-status").textContent = T[s] || s; },
      poll: () => { if (!timer) timer = setInterval(refresh, 5000); },
    });
  }

  function reviewerDesk() {
    const items = new Map();  // item code -> the documents it needs (for "return")
    function documentsOf(code) {
      if (items.has(code)) return Promise.resolve(items.get(code));
      return fetch(root.dataset.itemsUrl + encodeURIComponent(code) + "/").then((r) => r.json())
        .then((it) => { items.set(code, it.documents || []); return items.get(code); });
    }
    function act(c, action, row) {
      const note = row.querySelector("[name=note]").value;
      const missing = [...row.querySelectorAll("[name=missing]:checked")].map((x) => x.value);
      post(root.dataset.casesUrl + encodeURIComponent(c.number) + "/transition/", { action, note, missing }).then((res) => {
        if (res.ok) { say(`${T.done} ${c.number} → ${res.data.state_label}`); load(); } else say(errorText(res), true);
      });
    }
    function caseRow(c) {
      const row = el("div", { className: "case-row desk-case", id: "case-" + c.number });
      row.dataset.state = c.state;
      const a = c.applicant;
      row.append(el("strong", { translate: false }, c.number), " ", el("span", { translate: false }, c.item_name), " · ", el("span", { className: "state" }, c.state_label),
        " · ", c.channel === "online" ? T.online : T.counter);
      if (c.due_date) row.append(" · ", el("span", { className: c.overdue ? "error" : "" }, `${c.overdue ? T.overdue : T.due} ${c.due_date}`));
      const who = el("p", { className: "desk-applicant" });
      who.append(`${T.applicant}: `, el("span", { className: "name", translate: false }, a.name), " ", el("span", { translate: false }, `${a.id_number} ${a.phone}`));
      if (a.masked) who.append(" ", el("small", {}, `(${T.masked})`));
      row.append(who);
      if (c.missing_documents.length) {
        const missing = el("p", { className: "desk-missing-list" }, `${T.missing}: ${c.missing_documents.join(", ")}`);
        documentsOf(c.item).then((needs) => {  // names instead of codes, once the item is known
          const names = new Map(needs.map((d) => [d.code, d.name]));
          missing.textContent = `${T.missing}: ${c.missing_documents.map((code) => names.get(code) || code).join("、")}`;
        });
        row.append(missing);
      }
      const actions = c.actions.filter((x) => ["accept", "review", "approve", "refuse", "return"].includes(x));
      if (!actions.length) return row;
      const note = el("input", { name: "note", placeholder: T.note, className: "desk-note" });
      const docs = el("fieldset", { className: "desk-missing", hidden: true });
      const bar = el("p", { className: "desk-actions" });
      for (const action of actions) {
        const b = el("button", { type: "button", className: "btn desk-big" + (action === "refuse" ? " danger" : action === "return" ? " secondary" : "") }, T[action]);
        b.dataset.action = action;
        b.addEventListener("click", () => {
          if (action !== "return" || !docs.hidden) { act(c, action, row); return; }
          documentsOf(c.item).then((needs) => {  // first click: choose what is missing, second: send
            docs.replaceChildren(el("legend", {}, T.missing), ...needs.map((d) => {
              const label = el("label", {}), box = el("input", { type: "checkbox", name: "missing", value: d.code });
              label.append(box, " ", d.name);
              return label;
            }));
            docs.hidden = false;
          });
        });
        bar.append(b, " ");
      }
      row.append(note, docs, bar);
      return row;
    }
    function load() {
      const state = $("desk-state").value, dept = root.dataset.department;
      return fetch(root.dataset.casesUrl + "?state=" + encodeURIComponent(state)).then((r) => r.json()).then((cases) => {
        if ($("desk-state").value !== state) return;  // another state was chosen meanwhile: its answer wins
        const mine = cases.filter((c) => c.department === dept);  // not the reviewer's own applications
        $("desk-cases").replaceChildren(...(mine.length ? mine.map(caseRow) : [el("p", { className: "muted" }, T.noCases)]));
      });
    }
    $("desk-state").addEventListener("change", () => { say(""); load(); });
    $("desk-refresh").addEventListener("click", load);
    load();
  }

  if (root.dataset.mode === "clerk") clerkDesk(); else reviewerDesk();
})();
