/* Huika till (收银台, H2): one screen for a sale. Lookup -> member strip -> scan / search /
   favourites -> server quote -> one-tap payment -> receipt -> next customer.
   The server prices everything (quote) and takes the payment (checkout, with one
   Idempotency-Key per sale); this script only keeps the basket and the chosen payments.
   The PIN stays in its input until this sale is paid (or refused), and is never stored. */
(function () {
  "use strict";
  var root = document.getElementById("till-screen");
  if (!root) { return; }
  var T = JSON.parse(document.getElementById("till-text").textContent);
  var $ = function (id) { return document.getElementById(id); };
  var data = function (name) { return root.getAttribute("data-" + name) || ""; };
  var lookupInput = $("q"), scanInput = $("scan"), searchInput = $("goods-search");
  var payButton = $("pay-button"), pinInput = $("pin"), tenderInput = $("tender");
  var walkInNote = $("strip").innerHTML;
  var state = { card: null, lines: [], coupons: [], quote: null, payments: [], split: false,
                key: data("sale-key"), quoting: 0, paying: false, done: false };

  function fill(text, values) {
    return String(text).replace(/%\((\w+)\)s/g, function (_m, name) { return values[name]; });
  }
  function yuan(fen) {
    var sign = fen < 0 ? "-" : ""; fen = Math.abs(fen);
    var whole = String(Math.floor(fen / 100)).replace(/\B(?=(\d{3})+(?!\d))/g, ",");
    return sign + "¥" + whole + "." + String(fen % 100).padStart(2, "0");
  }
  function toFen(text) {  // '12.5' -> 1250; integer arithmetic only, like webui/cashier/money.py
    var normal = String(text || "").replace(/[\uFF10-\uFF19]/g, function (c) {
      return String.fromCharCode(c.charCodeAt(0) - 0xFEE0); }).replace(/[．。]/g, ".").replace(/[¥￥,\s元]/g, "");
    var match = /^(\d{1,10})(?:\.(\d{0,2}))?$/.exec(normal);
    return match ? Number(match[1]) * 100 + Number(((match[2] || "") + "00").slice(0, 2)) : null;
  }
  function request(url, options) {
    options = options || {};
    var headers = { "X-Requested-With": "fetch", "Accept": "application/json" };
    if (options.body !== undefined) {
      headers["Content-Type"] = "application/json";
      headers["X-CSRFToken"] = data("csrf");
    }
    return fetch(url, { method: options.body !== undefined ? "POST" : "GET", credentials: "same-origin",
                        headers: headers, body: options.body !== undefined ? JSON.stringify(options.body) : undefined })
      .then(function (response) {
        if (response.redirected && /\/login/.test(response.url)) { window.location.reload(); }
        return response.json().then(function (json) { return { ok: response.ok, json: json }; },
                                    function () { return { ok: false, json: { error: { message: T.network } } }; });
      }, function () { return { ok: false, json: { error: { message: T.network } } }; });
  }
  function focus(element) { if (element) { element.focus(); if (element.select) { element.select(); } } }
  function message(id, text) { $(id).textContent = text || ""; }

  // -- the member ----------------------------------------------------------------------
  function drawStrip(card) {
    $("strip").innerHTML = card.html;
    if (card.member_url) {
      var link = document.createElement("a");
      link.href = card.member_url; link.textContent = T.member_page; link.className = "member-link";
      $("strip").querySelector(".strip-who").appendChild(link);
    }
  }
  function refreshStrip() {  // after a sale: the balances the receipt left, focus untouched
    if (!state.card) { return; }
    var number = state.card.number;
    request(data("card-url").replace("NUMBER", encodeURIComponent(number))).then(function (answer) {
      if (answer.json.card && state.done && state.card && state.card.number === number) {
        state.card = answer.json.card; drawStrip(answer.json.card);
      }
    });
  }
  function showCard(card) {
    state.card = card;
    drawStrip(card);
    $("lookup-result").innerHTML = "";
    lookupInput.value = "";
    loadCoupons(card.number);
    updateMethods();
    if (state.lines.length) { requote(); }
    if (!card.problem) { focus(scanInput); }
  }
  function lookup(text) {
    if (!text.trim()) { focus(lookupInput); return; }
    request(data("lookup-url") + "?q=" + encodeURIComponent(text)).then(function (answer) {
      var json = answer.json, result = $("lookup-result");
      if (json.card) { showCard(json.card); return; }
      if (json.choices) { result.innerHTML = json.html; focus(result.querySelector("button:not([disabled])")); return; }
      result.textContent = (json.error && json.error.message) || json.message || "";
      [["register_url", T.register], ["issue_url", T.issue]].forEach(function (pair) {
        if (json[pair[0]]) {
          var link = document.createElement("a");
          link.href = json[pair[0]]; link.className = "button"; link.textContent = pair[1];
          result.appendChild(document.createTextNode(" ")); result.appendChild(link);
        }
      });
      focus(lookupInput);
    });
  }
  function pick(number) {
    request(data("card-url").replace("NUMBER", encodeURIComponent(number))).then(function (answer) {
      if (answer.json.card) { showCard(answer.json.card); }
      else { message("lookup-result", answer.json.error && answer.json.error.message); }
    });
  }
  $("lookup-form").addEventListener("submit", function (event) { event.preventDefault(); lookup(lookupInput.value); });
  $("lookup-result").addEventListener("click", function (event) {
    var button = event.target.closest("[data-pick]");
    if (button) { pick(button.getAttribute("data-pick")); }
  });
  $("lookup-result").addEventListener("keydown", function (event) {
    var buttons = $("lookup-result").querySelectorAll("[data-pick]:not([disabled])");
    var number = Number(event.key);
    if (number >= 1 && number <= buttons.length) { event.preventDefault(); buttons[number - 1].click(); }
  });
  $("walk-in").addEventListener("click", function () {  // no member for this sale: keep the basket
    if (state.done) { newSale(); }
    state.card = null; state.coupons = []; couponsOnCard = []; showCoupons();
    $("strip").innerHTML = walkInNote; $("lookup-result").innerHTML = ""; lookupInput.value = "";
    resetPayments(); requote(); focus(scanInput);
  });

  // -- the basket ----------------------------------------------------------------------
  function sameLine(a, b) {
    return (a.product_id && a.product_id === b.product_id) || (a.barcode && a.barcode === b.barcode);
  }
  function addLine(line) {
    message("goods-message", "");
    var existing = state.lines.filter(function (other) { return sameLine(other, line); })[0];
    if (existing) { existing.quantity += line.quantity || 1; }
    else { line.quantity = line.quantity || 1; state.lines.push(line); }
    requote(line);
  }
  function requote(added) {
    var ticket = ++state.quoting;
    setPayable();
    if (!state.lines.length) {
      state.quote = null; state.quoting = 0;
      $("basket").innerHTML = "<p class=\"muted\">" + T.empty.replace(/</g, "&lt;") + "</p>";
      showDue(); resetPayments(); return Promise.resolve();
    }
    var body = { lines: state.lines, coupons: state.coupons };
    if (state.card) { body.card_number = state.card.number; }
    return request(data("quote-url"), { body: body }).then(function (answer) {
      if (ticket !== state.quoting) { return; }  // a newer basket is on its way
      state.quoting = 0;
      if (!answer.ok) {
        var error = answer.json.error || {};
        if (added && added.coupon) {  // the coupon does not apply: take it out again
          state.coupons = state.coupons.filter(function (code) { return code !== added.coupon; });
          showCoupons(); message("goods-message", error.message || T.network);
          return requote();
        }
        message("goods-message", error.message || T.network);
        if (typeof error.line === "number") {  // a line the server cannot sell: take it out
          if (added) { undo(added); } else { state.lines.splice(error.line, 1); }
          return requote();
        }
        setPayable(); return;  // e.g. the card cannot be used: the basket stays
      }
      state.quote = answer.json;
      $("basket").innerHTML = answer.json.html;
      showDue(); reapplyPayments();
    });
  }
  function undo(line) {
    var at = state.lines.indexOf(line);
    if (at < 0) {  // merged into an existing line: take the extra quantity back
      var existing = state.lines.filter(function (other) { return sameLine(other, line); })[0];
      if (existing) { existing.quantity -= line.quantity || 1; if (existing.quantity < 1) { state.lines.splice(state.lines.indexOf(existing), 1); } }
      return;
    }
    state.lines.splice(at, 1);
  }
  $("basket").addEventListener("click", function (event) {
    var row = event.target.closest("tr[data-index]");
    if (!row || state.done) { return; }
    var line = state.lines[Number(row.getAttribute("data-index"))];
    if (!line) { return; }
    if (event.target.closest("[data-remove]")) { state.lines.splice(state.lines.indexOf(line), 1); }
    var step = event.target.closest("[data-step]");
    if (step) {
      line.quantity += Number(step.getAttribute("data-step"));
      if (line.quantity < 1) { state.lines.splice(state.lines.indexOf(line), 1); }
    }
    requote();
  });
  $("scan-form").addEventListener("submit", function (event) { event.preventDefault(); });
  scanInput.addEventListener("keydown", function (event) {
    if (event.key !== "Enter") { return; }
    event.preventDefault();
    var code = scanInput.value.trim();
    scanInput.value = "";
    if (!code) { if (state.quote) { firstMethod(); } return; }
    if (data("products") !== "1") { message("goods-message", T.no_catalogue); return; }
    addLine({ barcode: code, quantity: 1 });
  });

  // coupons: the card's usable ones to tap, or a code typed / scanned from paper
  var couponBox = $("coupons"), couponsOnCard = [];
  function loadCoupons(number) {
    if (!couponBox) { return; }
    couponBox.hidden = false;
    request(data("coupons-url").replace("NUMBER", encodeURIComponent(number))).then(function (answer) {
      couponsOnCard = answer.json.coupons || []; showCoupons();
    });
  }
  function showCoupons() {
    if (!couponBox) { return; }
    var list = $("coupon-list");
    list.innerHTML = "";
    var codes = couponsOnCard.map(function (c) { return c.code; });
    state.coupons.forEach(function (code) { if (codes.indexOf(code) < 0) { couponsOnCard.push({ code: code, name: code, terms: "" }); } });
    couponsOnCard.forEach(function (coupon) {
      var button = document.createElement("button");
      button.type = "button"; button.className = "coupon";
      button.setAttribute("data-coupon", coupon.code);
      button.setAttribute("aria-pressed", state.coupons.indexOf(coupon.code) >= 0 ? "true" : "false");
      button.textContent = coupon.name + (coupon.terms ? " · " + coupon.terms : "") +
        (coupon.valid_until ? " (" + fill(T.coupon_until, { date: coupon.valid_until }) + ")" : "");
      list.appendChild(button);
    });
  }
  function toggleCoupon(code) {
    message("goods-message", "");
    var at = state.coupons.indexOf(code);
    if (at >= 0) { state.coupons.splice(at, 1); showCoupons(); requote(); return; }
    state.coupons.push(code); showCoupons();
    if (state.lines.length) { requote({ coupon: code }); }
  }
  if (couponBox) {
    couponBox.hidden = false;
    $("coupon-list").addEventListener("click", function (event) {
      var button = event.target.closest("[data-coupon]");
      if (button && !state.done) { toggleCoupon(button.getAttribute("data-coupon")); }
    });
    $("coupon-form").addEventListener("submit", function (event) {
      event.preventDefault();
      var code = $("coupon-code").value.trim();
      $("coupon-code").value = "";
      if (code && state.coupons.indexOf(code) < 0 && !state.done) { toggleCoupon(code); }
      focus(scanInput);
    });
  }

  // search and favourites: the goods catalogue's own search (name, pinyin initials, barcode)
  function productButton(product) {
    var button = document.createElement("button");
    button.type = "button"; button.className = "product";
    button.setAttribute("data-product", String(product.id));
    var name = document.createElement("span"); name.textContent = product.name;
    var member = state.card && product.member_prices ? product.member_prices[state.card.tier_key] : undefined;
    var price = document.createElement("small");
    price.textContent = yuan(typeof member === "number" ? member : (product.price_fen || 0));
    button.appendChild(name); button.appendChild(price);
    return button;
  }
  function showProducts(target, products) {
    target.innerHTML = "";
    products.forEach(function (product) { target.appendChild(productButton(product)); });
  }
  var searchTimer = null;
  searchInput.addEventListener("input", function () {
    window.clearTimeout(searchTimer);
    var text = searchInput.value.trim();
    if (!text) { $("goods-results").innerHTML = ""; return; }
    searchTimer = window.setTimeout(function () {
      request(data("products-url") + "?q=" + encodeURIComponent(text)).then(function (answer) {
        if (searchInput.value.trim() !== text) { return; }
        var products = answer.json.products || [];
        showProducts($("goods-results"), products);
        message("goods-message", answer.json.installed === false ? T.no_catalogue : (products.length ? "" : T.not_found));
      });
    }, 200);
  });
  searchInput.addEventListener("keydown", function (event) {
    if (event.key !== "Enter") { return; }
    event.preventDefault();
    var first = $("goods-results").querySelector("[data-product]");
    if (first) { first.click(); }
  });
  root.addEventListener("click", function (event) {
    var button = event.target.closest("[data-product]");
    if (!button || state.done) { return; }
    addLine({ product_id: Number(button.getAttribute("data-product")), quantity: 1 });
    if (button.parentNode === $("goods-results")) { searchInput.value = ""; $("goods-results").innerHTML = ""; }
    focus(scanInput);
  });
  if (data("products") === "1") {
    request(data("products-url") + "?favourite=1").then(function (answer) {
      showProducts($("favourites"), (answer.json.products || []).slice(0, 12));
    });
  }
  $("typed-form").addEventListener("submit", function (event) {
    event.preventDefault();
    var name = $("typed-name").value.trim(), fen = toFen($("typed-price").value);
    var quantity = Number($("typed-qty").value || "1");
    if (!name) { focus($("typed-name")); return; }
    if (fen === null) { message("goods-message", T.bad_price); focus($("typed-price")); return; }
    if (!(quantity >= 1 && quantity <= 10000 && Math.floor(quantity) === quantity)) {
      message("goods-message", fill(T.bad_qty, { max: 10000 })); focus($("typed-qty")); return;
    }
    addLine({ name: name, unit_price_fen: fen, quantity: quantity });
    $("typed-name").value = ""; $("typed-price").value = ""; $("typed-qty").value = "1";
    focus($("typed-name"));
  });

  // -- payments ------------------------------------------------------------------------
  function due() { return state.quote ? state.quote.due_fen : 0; }
  function paid() { return state.payments.reduce(function (sum, p) { return sum + p.amount_fen; }, 0); }
  function showDue() {
    $("due").textContent = yuan(due());
    $("due").setAttribute("data-due", String(due()));
    $("pay-amount").textContent = state.quote ? yuan(due()) : "";
  }
  function make(method, amount) {
    var card = state.card;
    if (method === "stored_value") {
      if (!card) { return { error: T.need_card }; }
      var available = Math.min(card.stored_value_fen, amount);
      return available > 0 ? { method: "stored_value", amount_fen: available } : { error: T.no_stored_value };
    }
    if (method === "points") {
      if (!card) { return { error: T.need_card }; }
      var step = Number(data("points-step")), stepFen = Number(data("points-step-fen"));
      var steps = step > 0 && stepFen > 0 ? Math.min(Math.floor(card.points / step), Math.floor(amount / stepFen)) : 0;
      return steps > 0 ? { method: "points", points: steps * step, amount_fen: steps * stepFen } : { error: T.no_points };
    }
    if (method === "wechat" || method === "alipay") { return { method: "external", channel: method, amount_fen: amount }; }
    return { method: "cash", amount_fen: amount };
  }
  function choose(method) {
    message("pay-error", "");
    var left = due() - paid();
    if (!state.split) { state.payments = []; left = due(); }
    else if (left <= 0) { message("pay-error", T.nothing_left); return; }
    var payment = make(method, left);
    if (payment.error) { message("pay-error", payment.error); return; }
    payment.key = method;
    state.payments.push(payment);
    if (paid() < due()) { setSplit(true); }  // not enough on the card: the rest by another way
    showPayments();
    if (payment.method === "stored_value" && !pinInput.value) { focus(pinInput); }
    else if (payment.method === "cash") { focus(tenderInput); }
    else { focus(payButton.disabled ? null : payButton); }
  }
  function firstMethod() { var button = root.querySelector("[data-method]:not([disabled])"); focus(button); }
  function setSplit(on) {
    state.split = on;
    root.querySelector("[data-split]").setAttribute("aria-pressed", on ? "true" : "false");
  }
  function resetPayments() { state.payments = []; setSplit(false); showPayments(); }
  function reapplyPayments() {  // the basket changed: one method follows the new amount due
    var keys = state.payments.map(function (p) { return p.key; });
    state.payments = []; setSplit(false);
    if (keys.length === 1) { var again = make(keys[0], due()); if (!again.error) { again.key = keys[0]; state.payments.push(again); } }
    if (paid() < due() && state.payments.length) { setSplit(true); }
    showPayments();
  }
  function showPayments() {
    var list = $("pay-rows");
    list.innerHTML = "";
    state.payments.forEach(function (payment, index) {
      var row = document.createElement("li");
      var title = document.createElement("span");
      title.textContent = T[payment.key] + (payment.method === "points" ? " (" + fill(T.points_pay, { points: payment.points }) + ")" : "");
      row.appendChild(title);
      if (state.split && payment.method !== "points") {
        var input = document.createElement("input");
        input.value = (payment.amount_fen / 100).toFixed(2); input.inputMode = "decimal";
        input.setAttribute("aria-label", T[payment.key]); input.setAttribute("data-row", String(index));
        row.appendChild(input);
      } else {
        var amount = document.createElement("strong"); amount.textContent = yuan(payment.amount_fen);
        row.appendChild(amount);
      }
      var remove = document.createElement("button");
      remove.type = "button"; remove.className = "link"; remove.textContent = "×";
      remove.setAttribute("aria-label", T.remove); remove.setAttribute("data-remove-payment", String(index));
      row.appendChild(remove);
      list.appendChild(row);
    });
    var usesPin = state.payments.some(function (p) { return p.method === "stored_value"; });
    $("pin-row").hidden = !usesPin;
    $("tender-row").hidden = !state.payments.some(function (p) { return p.method === "cash"; });
    showChange(); setPayable();
  }
  function showChange() {
    var cash = state.payments.filter(function (p) { return p.method === "cash"; })[0];
    var tendered = toFen(tenderInput.value);
    if (!cash || tendered === null) { message("change", ""); return; }
    message("change", tendered >= cash.amount_fen ? fill(T.change, { amount: yuan(tendered - cash.amount_fen) })
                                                   : fill(T.short, { amount: yuan(cash.amount_fen - tendered) }));
  }
  function setPayable() {
    var ready = !!state.quote && !state.quoting && !state.paying && !state.done;
    root.querySelectorAll("[data-method], [data-split]").forEach(function (button) { button.disabled = !ready; });
    var left = due() - paid();
    var text = "";
    if (ready && state.payments.length) {
      text = left === 0 ? T.exact : (left > 0 ? fill(T.remaining, { amount: yuan(left) }) : fill(T.over, { amount: yuan(-left) }));
    }
    message("remaining", text);
    payButton.disabled = !(ready && state.payments.length && left === 0);
  }
  $("pay-rows").addEventListener("input", function (event) {
    var index = event.target.getAttribute("data-row");
    if (index === null) { return; }
    var fen = toFen(event.target.value);
    state.payments[Number(index)].amount_fen = fen === null ? 0 : fen;
    event.target.setAttribute("aria-invalid", fen === null ? "true" : "false");
    showChange(); setPayable();
  });
  $("pay-rows").addEventListener("click", function (event) {
    var button = event.target.closest("[data-remove-payment]");
    if (!button) { return; }
    state.payments.splice(Number(button.getAttribute("data-remove-payment")), 1);
    showPayments();
  });
  root.querySelectorAll("[data-method]").forEach(function (button) {
    button.addEventListener("click", function () { choose(button.getAttribute("data-method")); });
  });
  root.querySelector("[data-split]").addEventListener("click", function () {
    setSplit(!state.split);
    if (!state.split && state.payments.length > 1) { state.payments = state.payments.slice(0, 1); reapplyPayments(); return; }
    showPayments();
  });
  tenderInput.addEventListener("input", showChange);
  tenderInput.addEventListener("keydown", function (event) { if (event.key === "Enter") { event.preventDefault(); pay(); } });
  pinInput.addEventListener("keydown", function (event) { if (event.key === "Enter") { event.preventDefault(); pay(); } });

  function pay() {
    if (payButton.disabled) {
      if (state.payments.length && due() !== paid()) {
        message("pay-error", fill(T.mismatch, { paid: yuan(paid()), due: yuan(due()) }));
      } else if (!state.payments.length && state.quote) { message("pay-error", T.pick_method); }
      return;
    }
    var usesPin = state.payments.some(function (p) { return p.method === "stored_value"; });
    if (usesPin && !/^\d{6}$/.test(pinInput.value)) { message("pay-error", T.pin_needed); focus(pinInput); return; }
    state.paying = true; setPayable(); message("pay-error", "");
    var body = { lines: state.lines, coupons: state.coupons, idempotency_key: state.key,
                 payments: state.payments.map(function (p) {
                   return p.method === "points" ? { method: "points", points: p.points }
                     : { method: p.method, amount_fen: p.amount_fen, channel: p.channel };
                 }) };
    if (state.card) { body.card_number = state.card.number; }
    if (usesPin) { body.pin = pinInput.value; }
    request(data("pay-url"), { body: body }).then(function (answer) {
      state.paying = false;
      if (!answer.ok) {
        var error = answer.json.error || {};
        message("pay-error", error.message || T.network);
        if (error.field === "pin") { pinInput.value = ""; focus(pinInput); }
        setPayable(); return;
      }
      pinInput.value = "";
      state.done = true; state.key = answer.json.next_key;
      var change = $("change").textContent;
      $("receipt-area").innerHTML = answer.json.html;
      $("pay-panel").hidden = true;
      var changeLine = $("receipt-area").querySelector("[data-change]");
      if (change && changeLine) { changeLine.textContent = change; changeLine.hidden = false; }
      setPayable();
      focus($("receipt-area").querySelector("[data-next-customer]"));
      refreshStrip();
    });
  }
  payButton.addEventListener("click", pay);

  // -- the next customer ---------------------------------------------------------------
  function newSale() {
    state.card = null; state.lines = []; state.coupons = []; couponsOnCard = []; showCoupons(); state.quote = null; state.done = false; state.quoting = 0;
    $("strip").innerHTML = walkInNote; $("lookup-result").innerHTML = ""; $("receipt-area").innerHTML = "";
    $("goods-results").innerHTML = ""; message("goods-message", ""); message("pay-error", "");
    $("basket").innerHTML = "<p class=\"muted\">" + T.empty.replace(/</g, "&lt;") + "</p>";
    pinInput.value = ""; tenderInput.value = ""; lookupInput.value = ""; searchInput.value = "";
    $("pay-panel").hidden = false;
    resetPayments(); showDue(); updateMethods();
  }
  function updateMethods() { setPayable(); }
  $("receipt-area").addEventListener("click", function (event) {
    if (event.target.closest("[data-next-customer]")) { newSale(); focus(lookupInput); }
  });

  // F4 a new sale, F5 all from stored value, F6 cash, F8 pay; before cashier.js's own keys.
  document.addEventListener("keydown", function (event) {
    if (event.altKey || event.ctrlKey || event.metaKey) { return; }
    var keys = { F5: "stored_value", F6: "cash" };
    if (event.key === "F4") { newSale(); focus(lookupInput); }
    else if (event.key === "F8") { pay(); }
    else if (keys[event.key]) {
      var button = root.querySelector("[data-method=" + keys[event.key] + "]");
      if (button && !button.disabled) { button.click(); }
    } else { return; }
    event.preventDefault(); event.stopImmediatePropagation();
  });

  if (data("start-card")) { pick(data("start-card")); }
}());
