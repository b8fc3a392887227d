/* Merchant editor: small enhancements; every page also works without JavaScript.
   - Drag-and-drop ordering of table rows ([data-sortable] > [data-sort-item]): the rows carry
     the hidden order inputs, so the submitted order is the order on screen.
   - Field form: only the options that apply to the chosen type are shown.
   - Forms with data-confirm ask before submitting. */
(function () {
  "use strict";
  document.documentElement.classList.add("js");

  function sortable(body) {
    var dragged = null;
    body.querySelectorAll("[data-sort-item]").forEach(function (row) {
      row.addEventListener("dragstart", function (event) {
        dragged = row;
        row.classList.add("dragging");
        event.dataTransfer.effectAllowed = "move";
        event.dataTransfer.setData("text/plain", row.id || "row");
      });
      row.addEventListener("dragend", function () {
        row.classList.remove("dragging");
        body.querySelectorAll(".drop-before, .drop-after").forEach(function (r) {
          r.classList.remove("drop-before", "drop-after");
        });
        dragged = null;
      });
      row.addEventListener("dragover", function (event) {
        if (!dragged || dragged === row) { return; }
        event.preventDefault();
        var box = row.getBoundingClientRect();
        var after = event.clientY > box.top + box.height / 2;
        row.classList.toggle("drop-after", after);
        row.classList.toggle("drop-before", !after);
      });
      row.addEventListener("dragleave", function () { row.classList.remove("drop-before", "drop-after"); });
      row.addEventListener("drop", function (event) {
        if (!dragged || dragged === row) { return; }
        event.preventDefault();
        var after = row.classList.contains("drop-after");
        row.classList.remove("drop-before", "drop-after");
        body.insertBefore(dragged, after ? row.nextSibling : row);
        var form = body.closest("form");
        if (form) { form.classList.add("dirty"); }
      });
    });
  }
  document.querySelectorAll("[data-sortable]").forEach(sortable);

  document.querySelectorAll("[data-field-form]").forEach(function (form) {
    var select = form.querySelector("select[name=type]");
    if (!select) { return; }
    function update() {
      form.querySelectorAll("[data-for-types]").forEach(function (box) {
        box.hidden = box.getAttribute("data-for-types").split(" ").indexOf(select.value) < 0;
      });
    }
    select.addEventListener("change", update);
    update();
  });

  document.querySelectorAll("[data-condition]").forEach(function (cell) {
    var effect = cell.querySelector("select[name^=effect-]");
    var detail = cell.querySelector("[data-cond-detail]");
    if (!effect || !detail) { return; }
    function update() { detail.hidden = effect.value === ""; }
    effect.addEventListener("change", update);
    update();
  });

  document.querySelectorAll("form[data-confirm]").forEach(function (form) {
    form.addEventListener("submit", function (event) {
      if (!window.confirm(form.getAttribute("data-confirm"))) { event.preventDefault(); }
    });
  });
}());
