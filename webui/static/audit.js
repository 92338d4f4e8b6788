// The auditor's step-through: the instance's diagram (bpmn-js NavigatedViewer) with, after the
// chosen journal entry, the elements then waiting highlighted, those done by then marked and
// the entry's own element outlined. A slider, prev/next buttons, the ← → (and Home/End) keys
// and the entry numbers of the full history choose the step; the step's details (rendered by
// the server in <section class="zd-step">) are shown under the diagram. No inline script: the
// data comes from <script type="application/json" id="audit-data">.
(function () {
  "use strict";
  var container = document.getElementById("audit-diagram");
  if (!container) { return; }
  var data = JSON.parse(document.getElementById(container.getAttribute("data-source")).textContent);
  var slider = document.getElementById("step-slider");
  var prev = document.getElementById("step-prev");
  var next = document.getElementById("step-next");
  var sections = document.querySelectorAll("section.zd-step");
  var entries = document.querySelectorAll("#timeline li.zd-entry");
  var last = data.steps.length - 1;
  var marked = [];
  var canvas = null;
  var registry = null;

  function mark(ids, marker) {
    ids.forEach(function (id) {
      if (id && registry.get(id)) {
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
    next.disabled = index === last;
    sections.forEach(function (section) {
      section.hidden = section.getAttribute("data-step") !== String(index);
    });
    entries.forEach(function (entry) {
      entry.classList.toggle("zd-current", entry.getAttribute("data-step") === String(index));
    });
    container.setAttribute("data-step", String(index));
    container.setAttribute("data-active", step.active.join(" "));
    if (!canvas) { return; }
    marked.forEach(function (pair) { canvas.removeMarker(pair[0], pair[1]); });
    marked = [];
    mark(step.done.filter(function (id) { return step.active.indexOf(id) < 0; }), "zd-done");
    mark(step.active, "zd-active");
    mark([step.element], "zd-current");
  }

  function current() { return Number(slider.value); }

  slider.addEventListener("input", function () { show(current()); });
  prev.addEventListener("click", function () { show(Math.max(0, current() - 1)); });
  next.addEventListener("click", function () { show(Math.min(last, current() + 1)); });
  document.addEventListener("keydown", function (event) {
    var target = event.target;
    var tag = target && target.tagName;
    // The slider moves itself with the arrow keys; text fields and buttons keep theirs.
    if (event.altKey || event.ctrlKey || event.metaKey || target === slider ||
        tag === "INPUT" || tag === "TEXTAREA" || tag === "SELECT" || (target && target.isContentEditable)) { return; }
    var moves = { ArrowLeft: current() - 1, ArrowRight: current() + 1, Home: 0, End: last };
    if (!(event.key in moves)) { return; }
    event.preventDefault();
    show(Math.min(last, Math.max(0, moves[event.key])));
  });
  document.querySelectorAll("#timeline a.zd-goto").forEach(function (link) {
    link.addEventListener("click", function (event) {
      event.preventDefault();
      show(Number(link.getAttribute("data-step")));
      document.getElementById("step-through").scrollIntoView({ behavior: "smooth", block: "start" });
    });
  });
  show(current());

  if (typeof BpmnJS === "undefined") { return; }
  var viewer = new BpmnJS({ container: container });
  viewer.importXML(data.xml).then(function () {
    canvas = viewer.get("canvas");
    registry = viewer.get("elementRegistry");
    canvas.zoom("fit-viewport");
    show(current());
    container.setAttribute("data-rendered", "true");
  }).catch(function (err) {
    container.setAttribute("data-rendered", "error");
    container.textContent = String(err && err.message || err);
  });
})();
