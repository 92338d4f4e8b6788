// The process owners' editor: a bpmn-js Modeler (taught SpiffWorkflow's extensions by
// editor-moddle.js), the element panel of editor-panel.js, the lane -> role table, the catalog
// fields, the forms with a server-drawn preview, a server-side draft per user and procedure,
// and validate / deploy (warnings need a reason to deploy anyway). Problems are listed and
// marked on the diagram. No inline scripts: data comes from <script type="application/json">.
(function () {
  "use strict";
  var root = document.getElementById("editor");
  if (!root || typeof BpmnJS === "undefined") { return; }
  var el = window.zhiduEl;
  var data = JSON.parse(document.getElementById(root.getAttribute("data-source")).textContent);
  var labels = data.labels;
  var entry = data.entry;
  var forms = data.forms;
  // Keyboard shortcuts bind to the canvas implicitly (bpmn-js 17 logs an error for bindTo).
  var modeler = new BpmnJS({ container: "#canvas",
                             moddleExtensions: window.ZhiduModdle.extensions });
  var problemsBox = document.getElementById("problems");
  var statusBox = document.getElementById("editor-status");
  var marked = [];
  var dirty = false;
  window.zhiduEditor = modeler;  // browser tests drive the modeler through its own API

  function label(key, params) {
    var text = labels[key] || key;
    Object.keys(params || {}).forEach(function (k) { text = text.split("{" + k + "}").join(params[k]); });
    return text;
  }

  function setDirty(value) {
    dirty = value;
    root.setAttribute("data-dirty", value ? "true" : "false");
    document.getElementById("unsaved").hidden = !value;
  }

  // Leaving with unsaved changes asks first (the browser words the question).
  window.addEventListener("beforeunload", function (event) {
    if (!dirty) { return; }
    event.preventDefault();
    event.returnValue = "";
  });

  var panel = new window.ZhiduElementPanel({
    modeler: modeler, box: document.getElementById("element-fields"), labels: labels, roles: data.roles,
    entry: function () { return entry; }, forms: function () { return forms; },
    emptyText: document.getElementById("element-panel").getAttribute("data-empty"), setLaneRole: setLaneRole
  });

  // -- lanes, catalog fields, executable -------------------------------------------------------
  function setLaneRole(name, role) {
    if (role.trim()) { entry.lanes[name] = role.trim(); } else { delete entry.lanes[name]; }
    setDirty(true);
    showLanes();
  }

  function showLanes() {
    var box = document.getElementById("lane-roles");
    box.textContent = "";
    var names = {};
    // From the model, not the drawing: an imported file may have lanes without shapes.
    function collect(laneSet) {
      ((laneSet && laneSet.lanes) || []).forEach(function (lane) {
        names[lane.name || lane.id] = true;
        collect(lane.childLaneSet);
      });
    }
    (modeler.getDefinitions().rootElements || []).forEach(function (r) {
      (r.laneSets || []).forEach(collect);
    });
    Object.keys(names).sort().forEach(function (name) {
      var row = el("div", { "class": "mb-1", "data-lane": name });
      var group = el("div", { "class": "input-group input-group-sm" });
      group.appendChild(el("span", { "class": "input-group-text text-truncate zd-lane-name", title: name }, name));
      var field = el("input", { "class": "form-control", list: "role-list", "aria-label": name });
      field.value = entry.lanes[name] || "";
      field.classList.toggle("is-invalid", Boolean(panel.checkRole(field.value)));
      field.addEventListener("change", function () { setLaneRole(name, field.value); });
      group.appendChild(field);
      row.appendChild(group);
      var problem = panel.checkRole(field.value);
      if (problem) { row.appendChild(el("div", { "class": "small text-danger" }, label(problem))); }
      box.appendChild(row);
    });
    if (!Object.keys(names).length) { box.appendChild(el("span", { "class": "text-body-secondary" }, "—")); }
  }

  function mainProcess() {
    var definitions = modeler.getDefinitions();
    var processes = (definitions.rootElements || []).filter(function (r) { return r.$type === "bpmn:Process"; });
    var executable = processes.filter(function (p) { return p.isExecutable; });
    return executable[0] || processes[0];
  }

  // An imported diagram is often documentation only (isExecutable="false"): the owner marks it.
  function bindExecutable() {
    var box = document.getElementById("entry-executable");
    var process = mainProcess();
    box.disabled = !process;
    box.checked = Boolean(process && process.isExecutable);
    box.onchange = function () {
      var rootElement = modeler.get("canvas").getRootElement();
      modeler.get("modeling").updateModdleProperties(rootElement, mainProcess(), { isExecutable: box.checked });
    };
  }

  function bindEntry() {
    document.querySelectorAll("[data-entry]").forEach(function (field) {
      var path = field.getAttribute("data-entry");
      var value = path === "name.zh" ? entry.name.zh : path === "name.en" ? entry.name.en : entry[path];
      field.value = Array.isArray(value) ? value.join(", ") : (value || "");
      field.onchange = function () {
        if (path.indexOf("name.") === 0) { entry.name[path.slice(5)] = field.value; }
        else if (path === "starters" || path === "clauses") {
          entry[path] = field.value.split(/[\s,，]+/).filter(Boolean);
        } else { entry[path] = field.value.trim() || null; }
        setDirty(true);
      };
    });
  }

  // -- forms -----------------------------------------------------------------------------------
  var formSelect = document.getElementById("form-select");
  var formText = document.getElementById("form-text");
  var previewTimer = null;

  function showForms(selected) {
    formSelect.textContent = "";
    var list = document.getElementById("form-list");
    list.textContent = "";
    Object.keys(forms).sort().forEach(function (key) {
      var option = el("option", { value: key }, key);
      if (key === selected) { option.selected = true; }
      formSelect.appendChild(option);
      list.appendChild(el("option", { value: key }));
    });
    formText.value = forms[formSelect.value] || "";
    preview();
  }

  function preview() {
    var box = document.getElementById("form-preview");
    if (!formSelect.value) { box.textContent = ""; return; }
    post(root.getAttribute("data-preview-url"), { text: formText.value }).then(function (reply) {
      box.innerHTML = reply.body.html || "";  // drawn by the server from our own template, escaped there
    });
  }

  formSelect.addEventListener("change", function () { formText.value = forms[formSelect.value] || ""; preview(); });
  formText.addEventListener("input", function () {
    forms[formSelect.value] = formText.value;
    setDirty(true);
    window.clearTimeout(previewTimer);
    previewTimer = window.setTimeout(preview, 500);
  });
  document.getElementById("add-form").addEventListener("click", function () {
    var key = document.getElementById("new-form-key").value.trim();
    if (!/^[a-z][a-z0-9_]*$/.test(key)) { return; }
    if (!forms[key]) { forms[key] = data.new_form.split("{key}").join(key); setDirty(true); }
    showForms(key);
  });

  // -- talking to the server -------------------------------------------------------------------
  function request(url, fields) {
    var options = { method: fields ? "POST" : "GET", credentials: "same-origin" };
    if (fields) {
      options.body = new FormData();
      options.body.append("csrf_token", root.getAttribute("data-csrf"));
      Object.keys(fields).forEach(function (k) { options.body.append(k, fields[k]); });
    }
    return fetch(url, options).then(function (response) {
      var type = response.headers.get("Content-Type") || "";
      return (type.indexOf("json") >= 0 ? response.json() : Promise.resolve({}))
        .then(function (body) { return { status: response.status, body: body }; });
    });
  }
  function post(url, fields) { return request(url, fields); }

  function payload() {
    return modeler.saveXML({ format: true }).then(function (saved) {
      return JSON.stringify({ key: data.key, xml: saved.xml, forms: forms, entry: entry });
    });
  }

  function setStatus(text, kind) {
    statusBox.textContent = text;
    statusBox.className = "small mb-2 text-" + (kind || "body-secondary");
  }

  function failed(reply) {
    setStatus(reply.body.error || label("failed", { status: reply.status }), "danger");
  }

  function showProblems(problems) {
    var canvas = modeler.get("canvas");
    var overlays = modeler.get("overlays");
    var registry = modeler.get("elementRegistry");
    marked.forEach(function (m) { if (registry.get(m.id)) { canvas.removeMarker(m.id, m.marker); } });
    overlays.remove({ type: "zd-problem" });
    marked = [];
    problemsBox.textContent = "";
    problemsBox.setAttribute("data-count", String(problems.length));
    if (!problems.length) {
      problemsBox.appendChild(el("li", { "class": "text-success" }, problemsBox.getAttribute("data-empty")));
    }
    problems.forEach(function (p) { problemsBox.appendChild(problemItem(p, canvas, overlays, registry)); });
  }

  function problemItem(p, canvas, overlays, registry) {
    var item = el("li", { "class": "zd-problem zd-problem-" + p.severity, "data-element": p.element || "",
                         "data-severity": p.severity });
    item.appendChild(el("span", { "class": "badge me-1 " + (p.severity === "error" ? "text-bg-danger" : "text-bg-warning") },
                        p.severity_text || p.severity));
    var shape = p.element && registry.get(p.element);
    var name = shape && shape.businessObject.name;
    var where = (name ? name + " · " : "") + p.file + (p.line ? ":" + p.line : "") + (p.element ? " [" + p.element + "]" : "");
    item.appendChild(el("span", { "class": "text-body-secondary me-1" }, where));
    item.appendChild(document.createTextNode(p.reason));
    if (shape) {
      var marker = "zd-" + p.severity;
      canvas.addMarker(p.element, marker);
      marked.push({ id: p.element, marker: marker });
      var badge = el("span", { "class": "zd-problem-badge zd-problem-badge-" + p.severity, title: p.reason }, "!");
      overlays.add(p.element, "zd-problem", { position: { top: -12, left: -12 }, html: badge });
      item.classList.add("zd-clickable");
      item.addEventListener("click", function () {
        modeler.get("selection").select(shape);
        canvas.scrollToElement(shape);
      });
    }
    return item;
  }

  document.getElementById("validate").addEventListener("click", function () {
    setStatus(label("checking"));
    payload().then(function (text) { return post(root.getAttribute("data-validate-url"), { payload: text }); })
      .then(function (reply) {
        if (reply.status !== 200) { failed(reply); return; }
        showProblems(reply.body.problems);
        var errors = reply.body.problems.filter(function (p) { return p.severity === "error"; }).length;
        setStatus(errors ? label("errors", { n: errors }) : label("valid"), errors ? "danger" : "success");
        root.setAttribute("data-validated", errors ? "errors" : "ok");
      });
  });

  function deploy(reason) {
    var comment = document.getElementById("deploy-comment").value;
    setStatus(label("checking"));
    document.getElementById("warnings-confirm").hidden = true;
    payload().then(function (text) {
      return post(root.getAttribute("data-deploy-url"), { payload: text, comment: comment, warnings_reason: reason || "" });
    }).then(function (reply) {
      showProblems(reply.body.problems || []);
      if (reply.status === 409 && reply.body.needs_reason) {
        setStatus(label("needsReason"), "warning");
        document.getElementById("warnings-confirm").hidden = false;
        document.getElementById("warnings-reason").focus();
        root.setAttribute("data-deployed", "needs-reason");
        return;
      }
      if (reply.status !== 200) {
        if (reply.body.problems) { setStatus(label("refused"), "danger"); } else { failed(reply); }
        root.setAttribute("data-deployed", "refused");
        return;
      }
      deployed(reply.body);
    });
  }

  function deployed(body) {
    var done = body.deployed;
    statusBox.textContent = "";
    statusBox.className = "small mb-2 alert alert-success py-2";
    statusBox.appendChild(document.createTextNode("v" + done.version + " · " + done.hash.slice(0, 12) + " "));
    [["history", "owner-history"], ["compare", "owner-compare"], ["migrate", "owner-migrate"]].forEach(function (pair) {
      statusBox.appendChild(el("a", { href: body[pair[0]], id: pair[1], "class": "ms-2" },
                               root.getAttribute("data-label-" + pair[0]) || pair[0]));
    });
    setDirty(false);
    root.setAttribute("data-deployed", String(done.version));
  }

  document.getElementById("deploy").addEventListener("click", function () { deploy(""); });
  document.getElementById("deploy-anyway").addEventListener("click", function () {
    var reason = document.getElementById("warnings-reason");
    if (!reason.value.trim()) { reason.classList.add("is-invalid"); return; }
    reason.classList.remove("is-invalid");
    deploy(reason.value.trim());
  });

  // -- drafts: one per user and procedure, kept on the server, not a version -----------------------
  var draftUrl = root.getAttribute("data-draft-url");
  function showDraftButtons(savedAt) {
    document.getElementById("load-draft").hidden = !savedAt;
    document.getElementById("discard-draft").hidden = !savedAt;
    root.setAttribute("data-draft", savedAt ? "saved" : "none");
  }

  document.getElementById("save-draft").addEventListener("click", function () {
    payload().then(function (text) { return post(draftUrl, { payload: text }); }).then(function (reply) {
      if (reply.status !== 200) { failed(reply); return; }
      setStatus(label("draftSaved", { at: reply.body.saved_at }), "success");
      setDirty(false);
      showDraftButtons(reply.body.saved_at);
    });
  });
  document.getElementById("load-draft").addEventListener("click", function () {
    request(draftUrl).then(function (reply) {
      if (reply.status !== 200) { failed(reply); return; }
      var saved = JSON.parse(reply.body.payload);
      entry = saved.entry; forms = saved.forms;
      open(saved.xml).then(function () {
        setStatus(label("draftLoaded", { at: reply.body.saved_at }), "success");
        root.setAttribute("data-draft", "loaded");
      });
    });
  });
  document.getElementById("discard-draft").addEventListener("click", function () {
    post(draftUrl + "/discard", {}).then(function (reply) {
      if (reply.status !== 200) { failed(reply); return; }
      setStatus(label("draftDiscarded"));
      showDraftButtons(null);
    });
  });

  // -- opening a diagram ---------------------------------------------------------------------
  // Fit the diagram into the canvas right of the palette, so the palette covers nothing.
  function fitBesidePalette() {
    var canvas = modeler.get("canvas");
    canvas.zoom("fit-viewport");
    var box = canvas.viewbox(), inner = box.inner, outer = box.outer;
    if (!inner.width || !inner.height) { return; }
    var container = document.getElementById("canvas").getBoundingClientRect();
    var palette = document.querySelector("#canvas .djs-palette");
    var left = (palette ? palette.getBoundingClientRect().right - container.left : 0) + 16;
    var scale = Math.min((outer.width - left - 16) / inner.width, (outer.height - 32) / inner.height, 1);
    canvas.viewbox({ x: inner.x - left / scale, y: inner.y - 16 / scale,
                     width: outer.width / scale, height: outer.height / scale });
  }

  function open(xml) {
    return modeler.importXML(xml).then(function (result) {
      window.ZhiduModdle.keepReferences(modeler.get("moddle"), result.warnings);
      fitBesidePalette();
      bindEntry();
      bindExecutable();
      showLanes();
      showForms(Object.keys(forms).sort()[0]);
      panel.show(null);
      setDirty(false);
    });
  }

  modeler.on("selection.changed", function (event) { panel.show(event.newSelection[0]); });
  modeler.on("commandStack.changed", function () { setDirty(true); bindExecutable(); });
  modeler.on("element.changed", function (event) {
    if (event.element.type === "bpmn:Lane") { showLanes(); }
  });
  document.getElementById("fit").addEventListener("click", fitBesidePalette);

  showDraftButtons(data.draft);
  if (data.draft) { setStatus(label("draftExists", { at: data.draft }), "info"); }
  open(data.xml).then(function () {
    root.setAttribute("data-ready", "true");
  }).catch(function (err) {
    root.setAttribute("data-ready", "error");
    setStatus(String(err && err.message || err), "danger");
  });
})();
