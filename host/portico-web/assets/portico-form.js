// Portico's forms, live: a field shown only when another has a certain
// answer appears and disappears as the person answers, a field required
// only then says so, and a calculated field shows its result as the
// numbers change. The page works without this script: the server draws
// what holds with the answers it has, and works every value out again.
(function () {
  "use strict";

  // The values a field of the form has now: a ticked box is `true`, a set
  // of boxes gives every ticked value, an empty field gives none. A field
  // hidden by its own condition has none either.
  function valuesOf(form, name) {
    var out = [];
    var inputs = form.querySelectorAll("[name]");
    for (var i = 0; i < inputs.length; i++) {
      var input = inputs[i];
      if (input.name !== name || input.disabled) continue;
      if (input.type === "radio" || input.type === "checkbox") {
        if (input.checked) out.push(input.value);
      } else if (input.value !== "") {
        out.push(input.value);
      }
    }
    return out;
  }

  function holds(form, condition) {
    var now = valuesOf(form, condition.field);
    return now.some(function (v) {
      return condition.values.indexOf(v) >= 0;
    });
  }

  // A number as a person typed it: a decimal comma, spaces between
  // thousands. An empty field counts as 0, as on the server.
  function numberOf(form, name) {
    var now = valuesOf(form, name);
    if (now.length === 0) return 0;
    var n = Number(now[0].replace(/[\s\u00a0]/g, "").replace(",", "."));
    return isFinite(n) ? n : NaN;
  }

  function calculate(form, c) {
    var numbers = c.fields.map(function (f) {
      return numberOf(form, f);
    });
    var result = numbers.slice(1).reduce(function (acc, n) {
      switch (c.operation) {
        case "sum":
          return acc + n;
        case "product":
          return acc * n;
        case "difference":
          return acc - n;
        default:
          return acc / n;
      }
    }, numbers[0]);
    if (c.factor !== null && c.factor !== undefined) result *= c.factor;
    return isFinite(result) ? result : null;
  }

  function parse(element, attribute) {
    var text = element.getAttribute(attribute);
    if (!text) return null;
    try {
      return JSON.parse(text);
    } catch (e) {
      return null;
    }
  }

  function update(form) {
    var lang = document.documentElement.lang || "cs";
    // As the server writes it: the language's decimal mark, no spaces
    // between thousands, so that a calculation over it reads it back.
    var format = new Intl.NumberFormat(lang, { maximumFractionDigits: 2, useGrouping: false });
    // Conditions may chain (a field shown by a field that is shown by a
    // third): a few passes settle them.
    for (var pass = 0; pass < 3; pass++) {
      var fields = form.querySelectorAll("[data-shown-when], [data-required-when], [data-calculation]");
      for (var i = 0; i < fields.length; i++) {
        var box = fields[i];
        var shown = parse(box, "data-shown-when");
        var visible = !shown || holds(form, shown);
        box.hidden = !visible;
        var controls = box.querySelectorAll("input, select, textarea");
        for (var j = 0; j < controls.length; j++) controls[j].disabled = !visible;
        var requiredWhen = parse(box, "data-required-when");
        if (requiredWhen) {
          var required = visible && holds(form, requiredWhen);
          var mark = box.querySelector(".required");
          if (mark) mark.hidden = !required;
          for (var k = 0; k < controls.length; k++) {
            if (controls[k].type !== "radio" || k === 0) controls[k].required = required;
          }
        }
        var calculation = parse(box, "data-calculation");
        var output = box.querySelector("input");
        if (calculation && output) {
          var result = calculate(form, calculation);
          output.value = result === null ? "" : format.format(result);
        }
      }
    }
  }

  function start() {
    var forms = document.querySelectorAll("form[data-live]");
    for (var i = 0; i < forms.length; i++) {
      (function (form) {
        var again = function () {
          update(form);
        };
        form.addEventListener("input", again);
        form.addEventListener("change", again);
        update(form);
      })(forms[i]);
    }
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
