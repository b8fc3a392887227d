/* Show/hide and enable/disable rules of rendered screens (webui/screens.py), re-evaluated as
   the user types. The server already rendered the initial state. Loaded from /static, never
   inline, so the Content-Security-Policy can forbid inline script. */
(function () {
  "use strict";
  function yuanToFen(text) {
    var s = String(text).replace(/[\s¥￥元]/g, "");
    if (/^\d{1,3}(,\d{3})+(\.\d*)?$/.test(s)) { s = s.replace(/,/g, ""); }
    var m = /^(\d*)(?:\.(\d{0,2}))?$/.exec(s);
    if (!s || !m || !(m[1] || m[2])) { return undefined; }
    return parseInt(m[1] || "0", 10) * 100 + parseInt(((m[2] || "") + "00").slice(0, 2), 10);
  }
  function read(root, name) {
    var box = root.querySelector('[data-hk-name="' + name.replace(/"/g, '') + '"]');
    if (!box) { return undefined; }
    var kind = box.getAttribute("data-hk-kind");
    var inputs = box.querySelectorAll("input, select, textarea");
    if (kind === "boolean") { return inputs[0].checked; }
    if (kind === "multi_enum") {
      return Array.prototype.filter.call(inputs, function (i) { return i.checked; }).map(function (i) { return i.value; });
    }
    var value;
    if (kind === "radio") {
      Array.prototype.forEach.call(inputs, function (i) { if (i.checked) { value = i.value; } });
    } else { value = inputs[0].value; }
    if (value === undefined || value === "") { return undefined; }
    if (kind === "integer") { return /^[+-]?\d+$/.test(value.trim()) ? parseInt(value, 10) : value; }
    if (kind === "money") { return yuanToFen(value); }
    return value;
  }
  function same(a, b) { return a === b; }
  function check(s, v) {
    if ("const" in s && !same(v, s["const"])) { return false; }
    if ("enum" in s && !s["enum"].some(function (e) { return same(v, e); })) { return false; }
    if (typeof v === "number") {
      if ("minimum" in s && v < s.minimum) { return false; }
      if ("maximum" in s && v > s.maximum) { return false; }
      if ("exclusiveMinimum" in s && v <= s.exclusiveMinimum) { return false; }
      if ("exclusiveMaximum" in s && v >= s.exclusiveMaximum) { return false; }
    }
    if (typeof v === "string") {
      var length = Array.from(v).length;
      if ("minLength" in s && length < s.minLength) { return false; }
      if ("maxLength" in s && length > s.maxLength) { return false; }
      if ("pattern" in s && !new RegExp(s.pattern, "u").test(v)) { return false; }
    }
    if (Array.isArray(v)) {
      if ("minItems" in s && v.length < s.minItems) { return false; }
      if ("maxItems" in s && v.length > s.maxItems) { return false; }
      if ("contains" in s && !v.some(function (x) { return check(s.contains, x); })) { return false; }
    }
    if ("not" in s && check(s["not"], v)) { return false; }
    return true;
  }
  function setEnabled(el, enabled) {
    if (el.tagName === "FIELDSET") { el.disabled = !enabled; return; }
    el.querySelectorAll("input, select, textarea").forEach(function (i) { i.disabled = !enabled; });
  }
  function update(root) {
    root.querySelectorAll("[data-hk-rule]").forEach(function (el) {
      var rule = JSON.parse(el.getAttribute("data-hk-rule"));
      var value = read(root, rule.name);
      var holds = value !== undefined && check(rule.schema, value);
      if (rule.effect === "SHOW") { el.hidden = !holds; }
      else if (rule.effect === "HIDE") { el.hidden = holds; }
      else if (rule.effect === "ENABLE") { setEnabled(el, holds); }
      else if (rule.effect === "DISABLE") { setEnabled(el, !holds); }
    });
  }
  document.querySelectorAll("[data-hk-screen]").forEach(function (root) {
    var handler = function () { update(root); };
    root.addEventListener("input", handler);
    root.addEventListener("change", handler);
    update(root);
  });
}());
