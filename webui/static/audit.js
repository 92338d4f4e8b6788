// The auditor's step-through: the instance's diagram (bpmn-js NavigatedViewer, as diagram.js
// draws it) with the elements that were waiting after the chosen step highlighted and those
// done by then marked; a slider and prev/next buttons choose the step, and the step's data
// (rendered by the server in <section class="zd-step">) is shown beside it. No inline script:
// the data comes from <script type="application/json" id="audit-data">.
(function () {
  "use strict";
  var container = document.getElementById("audit-diagram");
  if (!container || typeof BpmnJS === "undefined") { return; }
  var data = JSON.parse(document.getElementById(container.getAttribute("data-source")).textContent);
  var slider = document.getElementById("step-slider");
  var prev = document.getElementById("step-prev");
  var next = document.getElementById("step-next");
  var sections = document.querySelectorAll("section.zd-step");
  var viewer = new BpmnJS({ container: container });
  var marked = [];
  var canvas = null;
  var registry = null;

  function mark(ids, marker) {
    ids.forEach(function (id) {
      if (registry.get(id)) {
        canvas.addMarker(id, marker);
        marked.push([id, marker]);
      }
    });
  }

  function show(index) {
    var step = data.steps[index];
    if (!step) { return; }
    slider.value = String(index);
    prev.disabled = index === 0;
    next.disabled = index === data.steps.length - 1;
    sections.forEach(function (section) {
      section.hidden = section.getAttribute("data-step") !== String(index);
    });
    container.setAttribute("data-step", String(index));
    container.setAttribute("data-active", step.active.join(" "));
    if (!canvas) { return; }
    marked.forEach(function (pair) { canvas.removeMarker(pair[0], pair[1]); });
    marked = [];
    mark(step.done.filter(function (id) { return step.active.indexOf(id) < 0; }), "zd-done");
    mark(step.active, "zd-active");
  }

  slider.addEventListener("input", function () { show(Number(slider.value)); });
  prev.addEventListener("click", function () { show(Math.max(0, Number(slider.value) - 1)); });
  next.addEventListener("click", function () { show(Math.min(data.steps.length - 1, Number(slider.value) + 1)); });

  viewer.importXML(data.xml).then(function () {
    canvas = viewer.get("canvas");
    registry = viewer.get("elementRegistry");
    canvas.zoom("fit-viewport");
    show(Number(slider.value));
    container.setAttribute("data-rendered", "true");
  }).catch(function (err) {
    container.setAttribute("data-rendered", "error");
    container.textContent = String(err && err.message || err);
  });
  show(Number(slider.value));
})();
