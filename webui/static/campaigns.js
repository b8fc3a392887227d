/* The campaign page's live count: the form as it is now is posted (with its CSRF token) to
   the count URL as the owner edits; the page shows how many members it reaches. Without
   this script the 计算人数 button does the same by reloading the page. */
(function () {
  "use strict";
  var form = document.getElementById("campaign-form");
  if (!form || !window.fetch) { return; }
  var out = document.getElementById("campaign-count");
  var sample = document.getElementById("campaign-sample");
  var timer = null, sequence = 0;
  function count() {
    var mine = ++sequence;
    var body = new FormData(form);
    body.delete("action");
    fetch(form.getAttribute("data-count-url"), { method: "POST", body: body, credentials: "same-origin",
                                                 headers: { "X-CSRFToken": body.get("csrf_token") || "" } })
      .then(function (response) { return response.json(); })
      .then(function (json) {
        if (mine !== sequence) { return; }
        if (json.count === null || json.count === undefined) {
          out.textContent = form.getAttribute("data-count-error");
          sample.textContent = (json.problems || []).join("；");
          out.setAttribute("data-state", "invalid");
          return;
        }
        out.textContent = form.getAttribute("data-count-text").replace("{count}", json.count);
        out.setAttribute("data-state", "ok");
        sample.textContent = (json.sample || []).map(function (m) { return m.name + " " + m.phone; }).join("、");
      })
      .catch(function () { if (mine === sequence) { out.textContent = "—"; } });
  }
  function later(event) {
    if (!event.target.closest(".segment")) { return; }
    window.clearTimeout(timer);
    timer = window.setTimeout(count, 300);
  }
  form.addEventListener("input", later);
  form.addEventListener("change", later);
})();
