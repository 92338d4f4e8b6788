// The migration page: one box selects every instance that can move.
(function () {
  "use strict";
  var all = document.getElementById("select-all");
  if (!all) { return; }
  all.addEventListener("change", function () {
    document.querySelectorAll("#migration-plan .zd-move").forEach(function (box) { box.checked = all.checked; });
  });
})();
