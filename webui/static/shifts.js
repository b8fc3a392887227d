// The shift summary's print button (no inline script: the Content-Security-Policy forbids it).
document.addEventListener("click", function (event) {
  var target = event.target.closest ? event.target.closest("[data-print]") : null;
  if (target) { window.print(); }
});
