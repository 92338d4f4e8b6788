// The process owners' editor: a bpmn-js Modeler plus a small side panel for what zhidu needs
// on each element (form key, candidate roles, assignee, due time, script, condition, timer),
// the lane -> role table, the catalog fields, and the forms with a server-drawn preview.
// Validate and deploy post everything to the server; problems are listed and marked on the
// diagram. No inline scripts: data comes from <script type="application/json">.
(function () {
  "use strict";
  var root = document.getElementById("editor");
  if (!root || typeof BpmnJS === "undefined") { return; }
  var USER_PROPS = ["formKey", "candidateRoles", "assignee", "dueIn"];
  var data = JSON.parse(document.getElementById(root.getAttribute("data-source")).textContent);
  var entry = data.entry;
  var forms = data.forms;
  var modeler = new BpmnJS({ container: "#canvas", keyboard: { bindTo: document },
                             moddleExtensions: window.ZhiduModdle.extensions });
  var fieldsBox = document.getElementById("element-fields");
  var problemsBox = document.getElementById("problems");
  var statusBox = document.getElementById("editor-status");
  var marked = [];
  window.zhiduEditor = modeler;  // browser tests drive the modeler through its own API

  function el(tag, attrs, text) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (k) { node.setAttribute(k, attrs[k]); });
    if (text !== undefined) { node.textContent = text; }
    return node;
  }

  // -- spiffworkflow:properties on a business object (typed through editor-moddle.js) ---------
  function propertiesOf(bo, create) {
    var ext = bo.extensionElements;
    var holder = ext && (ext.values || []).filter(function (v) { return v.$type === "spiffworkflow:Properties"; })[0];
    if (!holder && create) {
      var moddle = modeler.get("moddle");
      if (!ext) { ext = moddle.create("bpmn:ExtensionElements", { values: [] }); bo.extensionElements = ext; }
      holder = moddle.create("spiffworkflow:Properties", { properties: [] });
      ext.get("values").push(holder);
    }
    return holder;
  }

  function readProperty(bo, name) {
    var holder = propertiesOf(bo, false);
    var found = holder && holder.get("properties").filter(function (p) { return p.name === name; })[0];
    return found ? (found.value || "") : "";
  }

  function writeProperty(element, name, value) {
    var bo = element.businessObject;
    var holder = propertiesOf(bo, true);
    var children = holder.get("properties");
    var found = children.filter(function (p) { return p.name === name; })[0];
    if (!value) {
      if (found) { children.splice(children.indexOf(found), 1); }
    } else if (found) {
      found.value = value;
    } else {
      children.push(modeler.get("moddle").create("spiffworkflow:Property", { name: name, value: value }));
    }
    modeler.get("modeling").updateProperties(element, { extensionElements: bo.extensionElements });
  }

  // -- the element panel ---------------------------------------------------------------------
  function input(label, value, onChange, options) {
    options = options || {};
    var id = "prop-" + label.replace(/\W+/g, "-").toLowerCase();
    var wrap = el("div", { "class": "mb-2" });
    wrap.appendChild(el("label", { "class": "form-label mb-0", "for": id }, label));
    var field = el(options.multiline ? "textarea" : "input", { id: id, "class": "form-control form-control-sm" +
      (options.mono ? " font-monospace" : ""), "data-prop": options.name || label });
    if (options.multiline) { field.rows = 6; field.spellcheck = false; }
    if (options.list) { field.setAttribute("list", options.list); }
    if (options.readonly) { field.readOnly = true; }
    field.value = value || "";
    field.addEventListener("change", function () { onChange(field.value); });
    wrap.appendChild(field);
    return wrap;
  }

  function timerOf(bo) {
    var defs = bo.eventDefinitions || [];
    return defs.filter(function (d) { return d.$type === "bpmn:TimerEventDefinition"; })[0];
  }

  function showElement(element) {
    fieldsBox.textContent = "";
    fieldsBox.className = "small";
    if (!element) {
      fieldsBox.className = "small text-body-secondary";
      fieldsBox.textContent = document.getElementById("element-panel").getAttribute("data-empty");
      return;
    }
    var bo = element.businessObject;
    var modeling = modeler.get("modeling");
    var moddle = modeler.get("moddle");
    fieldsBox.setAttribute("data-element", bo.id);
    fieldsBox.appendChild(el("div", { "class": "font-monospace text-body-secondary mb-2" }, bo.$type.replace("bpmn:", "") + " · " + bo.id));
    if (element.type !== "label") {
      fieldsBox.appendChild(input("name", bo.name, function (v) { modeling.updateLabel(element, v); }, { name: "name" }));
    }
    if (bo.$type === "bpmn:UserTask") {
      USER_PROPS.forEach(function (name) {
        fieldsBox.appendChild(input(name, readProperty(bo, name), function (v) { writeProperty(element, name, v.trim()); },
          { name: name, mono: true, list: name === "formKey" ? "form-list" : null }));
      });
    }
    if (bo.$type === "bpmn:ScriptTask") {
      fieldsBox.appendChild(input("script", bo.script, function (v) {
        modeling.updateProperties(element, { scriptFormat: "python", script: v });
      }, { name: "script", mono: true, multiline: true }));
    }
    if (bo.$type === "bpmn:SequenceFlow") {
      var condition = bo.conditionExpression ? bo.conditionExpression.body : "";
      fieldsBox.appendChild(input("condition", condition, function (v) {
        modeling.updateProperties(element, { conditionExpression: v.trim() ?
          moddle.create("bpmn:FormalExpression", { body: v.trim() }) : undefined });
      }, { name: "condition", mono: true }));
    }
    var timer = timerOf(bo);
    if (timer) { fieldsBox.appendChild(timerFields(element, timer)); }
    if (bo.$type === "bpmn:Lane") {
      fieldsBox.appendChild(input("role", entry.lanes[bo.name] || "", function (v) {
        setLaneRole(bo.name, v); }, { name: "role", list: "role-list" }));
    }
  }

  function timerFields(element, timer) {
    var kinds = ["timeDuration", "timeDate", "timeCycle"];
    var kind = kinds.filter(function (k) { return timer[k]; })[0] || "timeDuration";
    var wrap = el("div", { "class": "mb-2" });
    var select = el("select", { "class": "form-select form-select-sm mb-1", "data-prop": "timerKind" });
    kinds.forEach(function (k) { var o = el("option", { value: k }, k); if (k === kind) { o.selected = true; } select.appendChild(o); });
    wrap.appendChild(el("label", { "class": "form-label mb-0" }, "timer"));
    wrap.appendChild(select);
    var text = input("timer text", timer[kind] ? timer[kind].body : "", save, { name: "timer", mono: true });
    function save() {
      var value = text.querySelector("input").value.trim();
      var update = { timeDuration: undefined, timeDate: undefined, timeCycle: undefined };
      update[select.value] = modeler.get("moddle").create("bpmn:FormalExpression", { body: value });
      modeler.get("modeling").updateModdleProperties(element, timer, update);
    }
    select.addEventListener("change", save);
    wrap.appendChild(text);
    return wrap;
  }

  // -- lanes, catalog fields -------------------------------------------------------------------
  function setLaneRole(name, role) {
    if (role.trim()) { entry.lanes[name] = role.trim(); } else { delete entry.lanes[name]; }
    showLanes();
  }

  function showLanes() {
    var box = document.getElementById("lane-roles");
    box.textContent = "";
    var names = {};
    modeler.get("elementRegistry").filter(function (e) { return e.type === "bpmn:Lane"; }).forEach(function (e) {
      names[e.businessObject.name || e.id] = true;
    });
    Object.keys(names).sort().forEach(function (name) {
      var row = el("div", { "class": "input-group input-group-sm mb-1", "data-lane": name });
      row.appendChild(el("span", { "class": "input-group-text text-truncate zd-lane-name", title: name }, name));
      var field = el("input", { "class": "form-control", list: "role-list", "aria-label": name });
      field.value = entry.lanes[name] || "";
      field.addEventListener("change", function () { setLaneRole(name, field.value); });
      row.appendChild(field);
      box.appendChild(row);
    });
    if (!Object.keys(names).length) { box.appendChild(el("span", { "class": "text-body-secondary" }, "—")); }
  }

  function bindEntry() {
    document.querySelectorAll("[data-entry]").forEach(function (field) {
      var path = field.getAttribute("data-entry");
      var value = path === "name.zh" ? entry.name.zh : path === "name.en" ? entry.name.en : entry[path];
      field.value = Array.isArray(value) ? value.join(", ") : (value || "");
      field.addEventListener("change", function () {
        if (path.indexOf("name.") === 0) { entry.name[path.slice(5)] = field.value; }
        else if (path === "starters" || path === "clauses") {
          entry[path] = field.value.split(/[\s,，]+/).filter(Boolean);
        } else { entry[path] = field.value.trim() || null; }
      });
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
      box.innerHTML = reply.body.html;  // drawn by the server from our own template, escaped there
    });
  }

  formSelect.addEventListener("change", function () { formText.value = forms[formSelect.value] || ""; preview(); });
  formText.addEventListener("input", function () {
    forms[formSelect.value] = formText.value;
    window.clearTimeout(previewTimer);
    previewTimer = window.setTimeout(preview, 500);
  });
  document.getElementById("add-form").addEventListener("click", function () {
    var key = document.getElementById("new-form-key").value.trim();
    if (!/^[a-z][a-z0-9_]*$/.test(key)) { return; }
    if (!forms[key]) { forms[key] = data.new_form.split("{key}").join(key); }
    showForms(key);
  });

  // -- talking to the server -------------------------------------------------------------------
  function post(url, fields) {
    var body = new FormData();
    body.append("csrf_token", root.getAttribute("data-csrf"));
    Object.keys(fields).forEach(function (k) { body.append(k, fields[k]); });
    return fetch(url, { method: "POST", body: body, credentials: "same-origin" }).then(function (response) {
      var type = response.headers.get("Content-Type") || "";
      return (type.indexOf("json") >= 0 ? response.json() : response.text().then(function (t) { return { error: t }; }))
        .then(function (body) { return { status: response.status, body: body }; });
    });
  }

  function payload() {
    return modeler.saveXML({ format: true }).then(function (saved) {
      return JSON.stringify({ key: data.key, xml: saved.xml, forms: forms, entry: entry });
    });
  }

  function setStatus(text, kind) {
    statusBox.textContent = text;
    statusBox.className = "small mb-2 text-" + (kind || "body-secondary");
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
    problems.forEach(function (p) {
      var item = el("li", { "class": "zd-problem zd-problem-" + p.severity, "data-element": p.element || "",
                           "data-severity": p.severity });
      item.appendChild(el("span", { "class": "badge me-1 " + (p.severity === "error" ? "text-bg-danger" : "text-bg-warning") }, p.severity));
      var where = p.file + (p.line ? ":" + p.line : "") + (p.element ? " [" + p.element + "]" : "");
      item.appendChild(el("span", { "class": "font-monospace me-1" }, where));
      item.appendChild(document.createTextNode(p.reason));
      var shape = p.element && registry.get(p.element);
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
      problemsBox.appendChild(item);
    });
  }

  document.getElementById("validate").addEventListener("click", function () {
    setStatus("…");
    payload().then(function (text) { return post(root.getAttribute("data-validate-url"), { payload: text }); })
      .then(function (reply) {
        if (reply.status !== 200) { setStatus("HTTP " + reply.status, "danger"); return; }
        showProblems(reply.body.problems);
        var errors = reply.body.problems.filter(function (p) { return p.severity === "error"; }).length;
        setStatus(errors ? errors + " ×" : "✓", errors ? "danger" : "success");
        root.setAttribute("data-validated", errors ? "errors" : "ok");
      });
  });

  document.getElementById("deploy").addEventListener("click", function () {
    var comment = document.getElementById("deploy-comment").value;
    setStatus("…");
    payload().then(function (text) {
      return post(root.getAttribute("data-deploy-url"), { payload: text, comment: comment });
    }).then(function (reply) {
      showProblems(reply.body.problems || []);
      if (reply.status !== 200) {
        setStatus(reply.body.problems ? "✗" : "HTTP " + reply.status, "danger");
        root.setAttribute("data-deployed", "refused");
        return;
      }
      var done = reply.body.deployed;
      statusBox.textContent = "";
      statusBox.className = "small mb-2 alert alert-success py-2";
      statusBox.appendChild(document.createTextNode("v" + done.version + " · " + done.hash.slice(0, 12) + " "));
      [["history", "owner-history"], ["compare", "owner-compare"], ["migrate", "owner-migrate"]].forEach(function (pair) {
        var link = el("a", { href: reply.body[pair[0]], id: pair[1], "class": "ms-2" },
                      root.getAttribute("data-label-" + pair[0]) || pair[0]);
        statusBox.appendChild(link);
      });
      root.setAttribute("data-deployed", String(done.version));
    });
  });

  modeler.on("selection.changed", function (event) { showElement(event.newSelection[0]); });
  modeler.on("element.changed", function (event) {
    if (event.element.type === "bpmn:Lane") { showLanes(); }
  });

  modeler.importXML(data.xml).then(function (result) {
    window.ZhiduModdle.keepReferences(modeler.get("moddle"), result.warnings);
    var canvas = modeler.get("canvas");
    canvas.zoom("fit-viewport");
    var box = canvas.viewbox();
    var pad = 80 / box.scale;  // room on the left for the palette
    canvas.viewbox({ x: box.x - pad, y: box.y, width: box.width + pad, height: box.height + pad / 2 });
    bindEntry();
    showLanes();
    showForms(Object.keys(forms).sort()[0]);
    root.setAttribute("data-ready", "true");
  }).catch(function (err) {
    root.setAttribute("data-ready", "error");
    setStatus(String(err && err.message || err), "danger");
  });
})();
