/* The planner's plans, in the page: start a draft (from the plan on view), save the what-if's
 * moves into a draft, and publish a draft (planners with the publish permission). Everything
 * goes through the education API; the map reloads through the plan picker's change event. */
(function () {
  "use strict";
  const box = document.getElementById("plans");
  if (!box) return;
  const T = JSON.parse(document.getElementById("edu-i18n").textContent);
  const $ = (id) => document.getElementById(id);
  const picker = $("plan");
  const csrf = () => (document.cookie.match(/csrftoken=([^;]+)/) || [])[1] || "";
  const withId = (template, id) => template.replace("/0/", "/" + id + "/");

  function post(url, body) {
    return fetch(url, { method: "POST", credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-CSRFToken": csrf() }, body: JSON.stringify(body || {}) })
      .then((r) => r.json().catch(() => ({})).then((data) => ({ ok: r.ok, data })));
  }
  function say(text, isError) {
    const out = $("plan-message"); out.textContent = text; out.className = isError ? "error" : "ok";
  }
  const failed = (res) => say(T.error + ": " + ((res.data.error && res.data.error.message) || "?"), true);
  const current = () => picker.options[picker.selectedIndex];

  function optionFor(plan) {
    const option = document.createElement("option");
    option.value = plan.id; option.dataset.status = plan.status;
    option.textContent = plan.name + " · " + (plan.status_label || T.draft);
    option.setAttribute("translate", "no");
    return option;
  }
  // Publishing and saving need a draft; the buttons say so by being disabled otherwise.
  function showState() {
    const draft = current() && current().dataset.status === "draft";
    $("plan-publish").disabled = !draft || box.dataset.canPublish !== "1";
    $("plan-save-whatif").disabled = !draft;
  }

  $("plan-new").addEventListener("submit", (e) => {
    e.preventDefault();
    const form = e.target;
    post(box.dataset.plansUrl, { name: form.name.value.trim(), school_year: parseInt(form.school_year.value, 10),
                                 based_on: parseInt(picker.value, 10) || null }).then((res) => {
      if (!res.ok) return failed(res);
      const option = optionFor(res.data);
      picker.prepend(option); picker.value = option.value;
      picker.dispatchEvent(new Event("change"));
      form.reset(); form.school_year.value = box.dataset.year;
      say(T.draftCreated.replace("{name}", res.data.name));
      showState();
    });
  });
  // Publishing replaces the plan in force: the first click asks, a second one within 8 s does it.
  let armed = null;
  $("plan-publish").addEventListener("click", () => {
    const option = current(), button = $("plan-publish");
    if (armed !== option.value) {
      armed = option.value;
      say(T.confirmPublish.replace("{name}", option.textContent));
      button.textContent = T.confirmPublishButton;
      setTimeout(() => { armed = null; button.textContent = T.publish; }, 8000);
      return;
    }
    armed = null; button.textContent = T.publish;
    post(withId(box.dataset.publishUrl, option.value)).then((res) => {
      if (!res.ok) return failed(res);
      for (const other of picker.options) {  // the previously published plan is archived by the server
        if (other.dataset.status === "published") { other.dataset.status = "archived"; other.textContent = other.textContent.replace(/ · .*$/, " · " + T.archived); }
      }
      option.dataset.status = "published";
      option.textContent = res.data.name + " · " + (res.data.status_label || T.published);
      say(T.published + ": " + res.data.name);
      picker.dispatchEvent(new Event("change"));
      showState();
    });
  });
  $("plan-save-whatif").addEventListener("click", () => {
    const body = window.eduPlanner && window.eduPlanner.whatifBody();
    if (!body) { say(T.noMoves, true); return; }
    post(withId(box.dataset.applyUrl, picker.value), body).then((res) => {
      if (!res.ok) return failed(res);
      say(T.savedMoves.replace("{n}", res.data.grid_moves));
      picker.dispatchEvent(new Event("change"));
    });
  });
  picker.addEventListener("change", showState);
  showState();
})();
