// Draws an instance's diagram with bpmn-js (NavigatedViewer): done elements marked, active
// ones highlighted, a badge with the count where an element ran more than once.
(function () {
  "use strict";
  var container = document.getElementById("diagram");
  if (!container || typeof BpmnJS === "undefined") { return; }
  var data = JSON.parse(document.getElementById(container.getAttribute("data-source")).textContent);
  var viewer = new BpmnJS({ container: container });

  viewer.importXML(data.xml).then(function () {
    var canvas = viewer.get("canvas");
    var overlays = viewer.get("overlays");
    var registry = viewer.get("elementRegistry");
    Object.keys(data.completed).forEach(function (id) {
      if (!registry.get(id)) { return; }
      canvas.addMarker(id, "zd-done");
      if (data.completed[id] > 1) {
        var badge = document.createElement("span");
        badge.className = "zd-count";
        badge.textContent = String(data.completed[id]);
        badge.title = "× " + data.completed[id];
        overlays.add(id, "zd-count", { position: { top: -10, right: 10 }, html: badge });
      }
    });
    data.active.forEach(function (id) {
      if (registry.get(id)) { canvas.addMarker(id, "zd-active"); }
    });
    canvas.zoom("fit-viewport");
    container.setAttribute("data-rendered", "true");
  }).catch(function (err) {
    container.setAttribute("data-rendered", "error");
    container.textContent = String(err && err.message || err);
  });
})();
