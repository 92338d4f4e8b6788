// Small behaviours of zhidu's forms. No inline scripts anywhere, so a strict CSP can apply.
(function () {
  "use strict";

  // Table widget: add a row from the <template>, numbering it after the highest index so far.
  document.addEventListener("click", function (event) {
    var add = event.target.closest("[data-add-row]");
    if (add) {
      var table = add.closest("[data-table]");
      var index = parseInt(table.getAttribute("data-next-index") || "0", 10);
      var html = table.querySelector("template").innerHTML.split("__INDEX__").join(String(index));
      table.querySelector("tbody").insertAdjacentHTML("beforeend", html);
      table.setAttribute("data-next-index", String(index + 1));
      var first = table.querySelector("tbody tr:last-child input, tbody tr:last-child select");
      if (first) { first.focus(); }
      return;
    }
    var remove = event.target.closest("[data-remove-row]");
    if (remove) {
      remove.closest("tr").remove();
    }
  });

  // A form that came back with errors: bring the first invalid input into view (also sideways,
  // inside a wide table that scrolls) and put the cursor there.
  function focusFirstError() {
    var first = document.querySelector("form .is-invalid");
    if (!first) { return; }
    first.scrollIntoView({ block: "center", inline: "center" });
    first.focus({ preventScroll: true });
  }
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", focusFirstError);
  } else {
    focusFirstError();
  }

  // A form is sent once: a double click must not submit it twice.
  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (form.getAttribute("data-submitted") === "true") {
      event.preventDefault();
      return;
    }
    form.setAttribute("data-submitted", "true");
    window.setTimeout(function () {
      form.querySelectorAll("[data-submit-once], button[type=submit]").forEach(function (button) {
        button.disabled = true;
      });
    }, 0);
  });
})();
