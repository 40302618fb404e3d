/* GridOps operator console: the incident panel.
 *
 * Everything it shows comes from the incident API: both deadlines and which are past
 * (`breached_deadlines`), the escalation level, and the actions this user may take on this
 * incident (`allowed_transitions`, `may_merge`), labelled from the lifecycle table the server
 * sends (`cfg.transitions`). The panel keeps no rules of its own; the server checks every move.
 * Opening it moves the focus to its title; Esc or × closes it and gives the focus back.
 */
(function () {
  "use strict";
  const C = window.GridOpsConsole;
  const { cfg, T, el, data, compose, fmt, when } = C;
  const panel = document.getElementById("panel");
  const PRIORITY = Object.fromEntries(cfg.choices.priorities.map((p) => [p.value, p.label]));
  const MOVES = new Map(cfg.transitions.map((t) => [t.from + ">" + t.to, t]));
  let opener = null;   // the element to give the focus back to when the panel closes
  let shownId = null;

  function close() {
    panel.hidden = true; panel.replaceChildren(); shownId = null;
    const back = opener && document.contains(opener) ? opener : document.getElementById("q");
    opener = null;
    if (back) back.focus();
  }
  document.addEventListener("keydown", (e) => {
    if (e.key === "Escape" && !panel.hidden) { e.preventDefault(); close(); }
  });

  function notice(text, kind) {
    return el("p", { class: "notice " + kind, role: kind === "error" ? "alert" : "status" }, text);
  }
  function deadline(label, iso, passed) {
    const dd = el("dd", {}, when(iso));
    if (passed) { dd.appendChild(document.createTextNode(" ")); dd.appendChild(el("span", { class: "badge overdue" }, T.passed)); }
    return [el("dt", {}, label), dd];
  }

  /** Show incident `id`. options: notice {text, kind}, focus (default true), opener. */
  async function openIncident(id, options) {
    const opts = Object.assign({ focus: true }, options || {});
    if (opts.focus && !panel.contains(document.activeElement)) opener = opts.opener || document.activeElement;
    panel.hidden = false;
    if (shownId !== id) panel.replaceChildren(el("p", {}, T.loading));
    let incident;
    try { incident = await C.getJson(C.incidentUrl(id)); } catch (e) {
      panel.replaceChildren(closeButton(), notice(T.failed + " (" + e.message + ")", "error"));
      if (opts.focus) panel.focus();
      return;
    }
    shownId = id;
    render(incident, opts);
  }

  function closeButton() {
    const button = el("button", { class: "close", type: "button", "aria-label": T.closePanel, title: T.closePanel }, "×");
    button.addEventListener("click", close);
    return button;
  }

  function render(incident, opts) {
    const p = incident.properties || incident;
    const id = incident.id || p.id;
    const body = [closeButton()];
    const title = compose(el("h2", { id: "panel-title", tabindex: "-1" }),
                          ["#" + id + " ", p.event_type && data("span", p.event_type.name)]);
    body.push(title);
    if (opts.notice) body.push(notice(opts.notice.text, opts.notice.kind));
    const kv = el("dl", { class: "kv" });
    // Labels and values: names and addresses are data (translate="no"), labels are interface text.
    const add = (k, v, isData) => {
      if (v === undefined || v === null || v === "") return;
      kv.appendChild(el("dt", {}, k)); kv.appendChild(isData ? data("dd", v) : el("dd", {}, v));
    };
    add(T.status, p.status_label || p.status); add(T.priority, PRIORITY[p.priority] || p.priority);
    add(T.department, p.department && p.department.name, true);
    add(T.town, p.town && p.town.name, true); add(T.grid, p.grid && p.grid.name, true);
    add(T.address, p.address, true);
    add(T.reported, when(p.reported_at));
    const breached = p.breached_deadlines || [];
    kv.append(...deadline(T.responseDeadline, p.response_deadline, breached.includes("response")));
    kv.append(...deadline(T.resolutionDeadline, p.resolution_deadline, breached.includes("resolution")));
    add(T.escalation, p.escalation_label);
    kv.lastChild.dataset.level = p.escalation_level;
    body.push(kv);
    if (p.overdue) body.push(el("span", { class: "badge overdue" }, T.overdue));
    if (p.description) body.push(data("p", p.description, { class: "description" }));
    body.push(el("h3", {}, T.routing)); body.push(el("p", { class: "routing" }, p.routing_reason || "–"));
    body.push(el("h3", {}, T.actions)); body.push(...actions(id, p));
    body.push(el("h3", {}, T.photos));
    const photos = el("div", { class: "photos" });
    (p.photos || []).forEach((ph) => photos.appendChild(el("img", { src: ph.url, alt: "" })));
    if (!(p.photos || []).length) photos.appendChild(el("p", {}, T.noPhotos));
    body.push(photos);
    body.push(el("h3", {}, T.history));
    const hist = el("ol", { class: "history" });
    (p.transitions || []).forEach((h) => hist.appendChild(compose(el("li"),
      [when(h.at), h.from_label, "→", h.to_label, h.actor && data("span", h.actor), h.note && data("span", h.note)], " ")));
    body.push(hist);
    panel.replaceChildren(...body);
    panel.setAttribute("aria-labelledby", "panel-title");
    if (opts.focus) title.focus();
  }

  // One form: the note (and the department when a move dispatches), one submit button per move.
  function actions(id, p) {
    const moves = (p.allowed_transitions || []).map((to) => MOVES.get(p.status + ">" + to)).filter(Boolean);
    const parts = [];
    if (moves.length) {
      const form = el("form", { class: "act-form" });
      if (moves.some((m) => m.needs_department)) {
        const label = el("label", {}, T.dispatchTo + " ");
        const select = el("select", { name: "department", translate: "no" });  // department names are data
        cfg.departments.forEach((d) => {
          const option = el("option", { value: d.code }, d.name);
          if (p.department && p.department.code === d.code) option.selected = true;
          select.appendChild(option);
        });
        label.appendChild(select); form.appendChild(label);
      }
      const noteLabel = el("label", {}, T.note);
      noteLabel.appendChild(el("textarea", { name: "note", rows: "2", maxlength: "2000" }));
      form.appendChild(noteLabel);
      const buttons = el("div", { class: "actions" });
      moves.forEach((m) => buttons.appendChild(el("button", { class: "btn", type: "submit", value: m.to, "data-action": m.to }, m.label)));
      form.appendChild(buttons);
      form.addEventListener("submit", (e) => {
        e.preventDefault();
        const move = MOVES.get(p.status + ">" + (e.submitter && e.submitter.value));
        if (!move) return;
        const payload = { status: move.to, version: p.version, note: form.elements.note.value };
        if (move.needs_department && form.elements.department) payload.department = form.elements.department.value;
        send(id, C.incidentUrl(id, "transitions/"), payload, move.label, form);
      });
      parts.push(form);
    }
    if (p.may_merge) {
      const form = el("form", { class: "merge-form" });
      const label = el("label", {}, T.mergeInto + " ");
      label.appendChild(el("input", { name: "into", type: "number", min: "1", required: "", inputmode: "numeric" }));
      form.appendChild(label);
      form.appendChild(el("button", { class: "btn secondary", type: "submit", "data-action": "merge" }, T.merge));
      form.addEventListener("submit", (e) => {
        e.preventDefault();
        send(id, C.incidentUrl(id, "merge/"), { into: Number(form.elements.into.value), version: p.version }, T.merge, form);
      });
      parts.push(form);
    }
    if (!parts.length) parts.push(el("p", { class: "no-actions" }, T.noActions));
    return parts;
  }

  async function send(id, url, payload, label, form) {
    form.querySelectorAll("button").forEach((b) => { b.disabled = true; });
    const answer = await C.postJson(url, payload);
    if (answer.ok) return openIncident(id, { notice: { text: fmt(T.done, { action: label }), kind: "success" } });
    if (answer.status === 409) return openIncident(id, { notice: { text: T.conflict, kind: "error" } });
    const message = (answer.body && answer.body.error && answer.body.error.message) || T.failed;
    return openIncident(id, { notice: { text: T.failed + ": " + message, kind: "error" } });
  }

  C.openIncident = openIncident;
  C.shownIncident = () => (panel.hidden ? null : shownId);
})();
