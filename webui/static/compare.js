// Colours the newer version's diagram on the comparison page: added green, changed orange.
(function () {
  "use strict";
  var container = document.getElementById("compare-diagram");
  if (!container || typeof BpmnJS === "undefined") { return; }
  var data = JSON.parse(document.getElementById(container.getAttribute("data-source")).textContent);
  var viewer = new BpmnJS({ container: container });
  viewer.importXML(data.xml).then(function () {
    var canvas = viewer.get("canvas");
    var registry = viewer.get("elementRegistry");
    data.added.forEach(function (id) { if (registry.get(id)) { canvas.addMarker(id, "zd-added"); } });
    data.changed.forEach(function (id) { if (registry.get(id)) { canvas.addMarker(id, "zd-changed"); } });
    canvas.zoom("fit-viewport");
    container.setAttribute("data-rendered", "true");
  }).catch(function (err) {
    container.setAttribute("data-rendered", "error");
    container.textContent = String(err && err.message || err);
  });
})();
