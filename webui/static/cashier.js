/* Huika cashier: keyboard shortcuts, basket lines, live quote. Small and optional: every
   page works without it (Enter submits, the "Add a line" button reloads with one more). */
(function () {
  "use strict";
  var till = document.getElementById("till");
  if (!till) { return; }

  function go(url) { window.location.assign(url); }

  function checkoutUrl() {
    var card = till.getAttribute("data-card");
    var url = till.getAttribute("data-checkout-url");
    return card ? url + "?card=" + encodeURIComponent(card) : url;
  }

  function submitPay() {
    var form = document.getElementById("pay-form");
    if (!form) { return false; }
    if (form.requestSubmit) { form.requestSubmit(); } else { form.submit(); }
    return true;
  }

  // F2 find, F4 checkout, F8 pay, F9 print.
  document.addEventListener("keydown", function (event) {
    if (event.altKey || event.ctrlKey || event.metaKey) { return; }
    var handled = true;
    switch (event.key) {
      case "F2": {
        var search = document.getElementById("q");
        if (search) { search.focus(); search.select(); } else { go(till.getAttribute("data-search-url")); }
        break;
      }
      case "F4": go(checkoutUrl()); break;
      case "F8": handled = submitPay(); break;
      case "F9": window.print(); break;
      default: handled = false;
    }
    if (handled) { event.preventDefault(); }
  });

  document.addEventListener("click", function (event) {
    var target = event.target.closest ? event.target.closest("[data-print]") : null;
    if (target) { window.print(); }
  });

  // -- basket lines ---------------------------------------------------------------------
  var basket = document.getElementById("basket-form");
  var lines = document.getElementById("basket-lines");

  function blank(row) {
    return Array.prototype.every.call(row.querySelectorAll("input"), function (input) {
      return input.type === "checkbox" || input.name.slice(-9) === "-quantity" || input.value === "";
    });
  }

  function addLine() {
    var rows = lines.querySelectorAll("tr.line");
    var empty = Array.prototype.filter.call(rows, blank)[0];
    if (empty) { empty.querySelector("input").focus(); return; }
    var last = rows[rows.length - 1];
    var index = 0;
    rows.forEach(function (row) { index = Math.max(index, Number(row.getAttribute("data-line")) + 1); });
    var copy = last.cloneNode(true);
    copy.classList.remove("has-error");
    copy.setAttribute("data-line", String(index));
    copy.querySelector("td").textContent = String(rows.length + 1);
    copy.querySelectorAll("input").forEach(function (input) {
      input.name = input.name.replace(/^lines-\d+-/, "lines-" + index + "-");
      input.id = input.name;
      input.removeAttribute("autofocus");
      input.removeAttribute("aria-invalid");
      if (input.type === "checkbox") { input.checked = false; }
      else { input.value = input.name.slice(-9) === "-quantity" ? "1" : ""; }
    });
    lines.appendChild(copy);
    copy.querySelector("input").focus();
  }

  if (basket && lines) {
    var addButton = basket.querySelector("[data-add-line]");
    if (addButton) {
      addButton.addEventListener("click", function (event) { event.preventDefault(); addLine(); });
    }
    // The live quote: the quote and payment form come back as HTML from the server.
    var area = document.getElementById("quote-area");
    var timer = null;
    var pending = null;
    basket.addEventListener("input", function () {
      var pay = document.getElementById("pay-button");
      if (pay) { pay.disabled = true; }
      window.clearTimeout(timer);
      timer = window.setTimeout(function () {
        var data = new FormData(basket);
        if (pending) { pending.abort(); }
        pending = new AbortController();
        fetch(basket.getAttribute("data-quote-url"), {
          method: "POST", body: data, credentials: "same-origin", signal: pending.signal,
          headers: {"X-Requested-With": "fetch"}
        }).then(function (response) { return response.ok ? response.json() : null; })
          .then(function (json) { if (json && area) { area.innerHTML = json.html; } })
          .catch(function () { /* the Enter key still asks the server */ });
      }, 450);
    });
  }

  // -- payment: the cash field pre-filled with the amount due makes room for what is typed
  //    into another method (visibly), so cash + stored value never pays the sale twice ------
  function fenOf(text) {
    var match = /^\s*[¥￥]?(\d{1,10})(?:\.(\d{0,2}))?\s*$/.exec(text || "");
    return match ? Number(match[1]) * 100 + Number(((match[2] || "") + "00").slice(0, 2)) : 0;
  }
  document.addEventListener("input", function (event) {
    var form = event.target.form;
    if (!form || form.id !== "pay-form") { return; }
    var cash = form.querySelector("input[name=pay_cash]");
    var dueCell = document.querySelector("#quote [data-due]");
    if (!cash || !dueCell) { return; }
    if (event.target === cash) { cash.setAttribute("data-typed", "1"); return; }
    if (cash.getAttribute("data-typed")) { return; }
    var others = 0;
    ["pay_external", "pay_stored_value"].forEach(function (name) {
      var field = form.querySelector("input[name=" + name + "]");
      if (field) { others += fenOf(field.value); }
    });
    var left = Number(dueCell.getAttribute("data-due")) - others;
    cash.value = left > 0 ? Math.floor(left / 100) + "." + String(left % 100).padStart(2, "0") : "";
  });

  // -- recharge: show the bonus the typed amount reaches (the server decides) --------------
  var tiersTable = document.querySelector("[data-bonus-tiers]");
  var rechargeForm = document.getElementById("recharge-form");
  if (tiersTable && rechargeForm) {
    var tiers = JSON.parse(tiersTable.getAttribute("data-bonus-tiers"));
    var amount = rechargeForm.querySelector("input[name=amount_fen]");
    var preview = rechargeForm.querySelector(".bonus-preview");
    var toFen = function (text) {
      var match = /^\s*[¥￥]?(\d{1,10})(?:\.(\d{0,2}))?\s*$/.exec(text || "");
      if (!match) { return null; }
      return Number(match[1]) * 100 + Number(((match[2] || "") + "00").slice(0, 2));
    };
    var show = function () {
      var fen = toFen(amount.value);
      var best = null;
      tiers.forEach(function (tier) { if (fen !== null && tier.threshold_fen <= fen && (!best || tier.threshold_fen > best.threshold_fen)) { best = tier; } });
      preview.textContent = best ? (preview.getAttribute("data-prefix") || "") + " +¥" + Math.floor(best.bonus_fen / 100) + "." + String(best.bonus_fen % 100).padStart(2, "0") : "";
    };
    amount.addEventListener("input", show);
    show();
  }
}());
