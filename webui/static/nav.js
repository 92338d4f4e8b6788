// The navigation's menu button on narrow screens (Bootstrap's CSS collapses the menu; this
// opens and closes it, and closes it with Escape). No inline script, so the CSP stays strict.
(function () {
  "use strict";
  var toggle = document.getElementById("nav-toggle");
  var menu = document.getElementById("nav-menu");
  if (!toggle || !menu) { return; }
  function set(open) {
    menu.classList.toggle("show", open);
    toggle.setAttribute("aria-expanded", open ? "true" : "false");
  }
  toggle.addEventListener("click", function () { set(!menu.classList.contains("show")); });
  document.addEventListener("keydown", function (event) {
    if (event.key === "Escape" && menu.classList.contains("show")) { set(false); toggle.focus(); }
  });
})();
