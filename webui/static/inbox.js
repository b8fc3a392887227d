/* The staff inbox's lists (今日回访) in the till and the editor: 已联系 / 稍后 / 备注 without
   leaving the page (the till keeps its basket), and a tap on a name opens the member in the
   till's lookup. Without script the forms post and come back to the page. */
(function () {
  "use strict";
  var count = document.getElementById("inbox-count");

  function show(item, text) {
    var box = item.querySelector(".inbox-message");
    if (box) { box.textContent = text || ""; box.hidden = !text; }
  }

  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (!form.classList || !form.classList.contains("inbox-form")) { return; }
    event.preventDefault();
    var item = form.closest(".inbox-task");
    var body = new FormData(form);
    if (event.submitter && event.submitter.name === "action") { body.set("action", event.submitter.value); }
    var buttons = form.querySelectorAll("button");
    buttons.forEach(function (button) { button.disabled = true; });
    // form.getAttribute, not form.action: the buttons are named "action" and shadow it
    fetch(form.getAttribute("action"), { method: "POST", body: body, credentials: "same-origin",
                         headers: { "Accept": "application/json", "X-Requested-With": "fetch" } })
      .then(function (response) {
        return response.json().then(function (json) { return { ok: response.ok, json: json }; });
      })
      .then(function (answer) {
        buttons.forEach(function (button) { button.disabled = false; });
        if (!answer.ok) { show(item, (answer.json.error || {}).message || ""); return; }
        show(item, "");
        var task = answer.json.task;
        var note = item.querySelector(".inbox-note");
        if (note && task.note) { note.querySelector("span").textContent = task.note; note.hidden = false; }
        var input = form.querySelector("input[name=note]");
        if (input) { input.value = ""; }
        if (task.status !== "open" && item.closest("[data-remove-handled]")) {
          item.remove();
          if (count) { count.textContent = String(Math.max(0, Number(count.textContent) - 1)); }
        } else if (task.status !== "open") {
          item.className = "inbox-task status-" + task.status;
          var actions = item.querySelector(".inbox-actions");
          if (actions && task.status === "done") { actions.remove(); }
        }
      }, function () {
        buttons.forEach(function (button) { button.disabled = false; });
        show(item, item.closest("[data-network]").dataset.network);
      });
  });

  document.addEventListener("click", function (event) {
    var link = event.target.closest ? event.target.closest("a.inbox-member[data-q]") : null;
    var lookup = document.getElementById("lookup-form");
    var box = document.getElementById("q");
    if (!link || !lookup || !box) { return; }
    event.preventDefault();
    box.value = link.dataset.q;
    lookup.requestSubmit();
    box.scrollIntoView({ block: "center" });
  });
}());
