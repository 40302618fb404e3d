/* Emergency tasks on the grid worker's tablet: a card per task of an active emergency, above the
 * incident tasks, with big buttons to acknowledge, set off and arrive. Answers go through the
 * tablet's outbox (idempotent on the server), so a tap without a connection is sent when it
 * returns. Cards reload when the tablet reloads its tasks and when an emergency event arrives
 * on its socket (caught up by event id after being offline). */
(function () {
  "use strict";
  const cfg = JSON.parse(document.getElementById("emergency-config").textContent);
  const T = cfg.i18n;
  const app = window.gridopsTablet;
  const list = document.getElementById("emergency-tasks");
  if (!app || !list) return;
  const { el, fmt } = window.GridOpsDom;
  const when = (value) => new Date(value).toLocaleString(document.documentElement.lang || "zh-hans",
                                                          { timeZone: "Asia/Shanghai", hour12: false });
  const CACHE = "gridops.emergencyTasks";
  // The next answers a task offers, by its status (the server accepts only forward moves anyway).
  const NEXT = { notified: ["acknowledged", "on_the_way"], acknowledged: ["on_the_way"], on_the_way: ["arrived"], arrived: [] };
  const LABEL = { acknowledged: T.acknowledge, on_the_way: T.onTheWay, arrived: T.arrived };

  async function load() {
    let tasks;
    try {
      const r = await app.api(cfg.api.mine);
      if (!r.ok) return;
      tasks = (await r.json()).results;
      localStorage.setItem(CACHE, JSON.stringify(tasks));
    } catch (e) { tasks = JSON.parse(localStorage.getItem(CACHE) || "[]"); }
    list.replaceChildren(...tasks.map(card));
  }
  function card(task) {
    const e = task.emergency;
    const li = el("li", { class: "emergency-card", "data-task-id": task.id, "data-status": task.status });
    li.appendChild(el("div", { class: "state" }, T.task + " · " + (T.kinds[e.kind] || e.kind) + " · " + (T.statuses[task.status] || task.status)));
    li.appendChild(el("div", { class: "em-title", translate: "no" }, e.title));
    li.appendChild(el("div", { class: "deadline" }, fmt(T.deadline, { when: when(e.ack_deadline) })));
    const actions = li.appendChild(el("div", { class: "actions" }));
    (NEXT[task.status] || []).forEach((status) => {
      const b = actions.appendChild(el("button", { class: "btn big", type: "button", "data-to": status }, LABEL[status]));
      b.addEventListener("click", () => answer(task, status, b));
    });
    return li;
  }
  async function answer(task, status, button) {
    button.disabled = true;
    await app.enqueue({ kind: "emergency", key: "em-" + task.id + "-" + status, url: cfg.api.task.replace("/0/", "/" + task.id + "/"),
                        label: T.task + " → " + LABEL[status], body: { status } });
  }
  document.addEventListener("gridops:tasks", load);
  document.addEventListener("gridops:event", (e) => { if (String((e.detail || {}).kind).startsWith("emergency.")) load(); });
  app.loadEmergencyTasks = load;
})();
