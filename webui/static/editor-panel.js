// The editor's element panel: what zhidu needs on the selected element (name, form key,
// candidate roles, assignee, due time, separation of duties, script, condition, timer, a
// lane's role), labelled and checked in the user's language. Checks here are hints as the owner types; the server's
// validation stays the one that counts.
(function (global) {
  "use strict";
  var USER_PROPS = ["formKey", "candidateRoles", "assignee", "dueIn"];
  var ISO_DURATION = /^P(?!$)(\d+Y)?(\d+M)?(\d+W)?(\d+D)?(T(?=\d)(\d+H)?(\d+M)?(\d+(\.\d+)?S)?)?$/;

  function el(tag, attrs, text) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (k) { if (attrs[k] !== null) { node.setAttribute(k, attrs[k]); } });
    if (text !== undefined) { node.textContent = text; }
    return node;
  }

  // options: modeler, box (the panel's element), labels, entry, forms(), roles, emptyText,
  // setLaneRole(name, role)
  function ElementPanel(options) {
    var modeler = options.modeler, box = options.box, labels = options.labels;

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

    // A hint under a field, or none: `check` returns a label key or null.
    function checked(field, check) {
      var hint = el("div", { "class": "invalid-feedback" });
      function run() {
        var problem = check ? check(field.value.trim()) : null;
        field.classList.toggle("is-invalid", Boolean(problem));
        hint.textContent = problem ? labels[problem] : "";
      }
      field.addEventListener("input", run);
      run();
      return hint;
    }

    function input(name, value, onChange, opts) {
      opts = opts || {};
      var id = "prop-" + name.replace(/\W+/g, "-").toLowerCase();
      var wrap = el("div", { "class": "mb-2" });
      wrap.appendChild(el("label", { "class": "form-label mb-0", "for": id }, labels[name] || name));
      var field = el(opts.multiline ? "textarea" : "input", { id: id, "class": "form-control form-control-sm" +
        (opts.mono ? " font-monospace" : ""), "data-prop": opts.prop || name, list: opts.list || null });
      if (opts.multiline) { field.rows = 6; field.spellcheck = false; }
      field.value = value || "";
      field.addEventListener("change", function () { onChange(field.value); });
      wrap.appendChild(field);
      wrap.appendChild(checked(field, opts.check));
      return wrap;
    }

    // The ids of the diagram's user tasks: what notSameAs may name.
    function userTaskIds() {
      return modeler.get("elementRegistry").filter(function (e) {
        return e.businessObject && e.businessObject.$type === "bpmn:UserTask";
      }).map(function (e) { return e.businessObject.id; });
    }

    function sameAsCheck(ownId) {
      return function (v) {
        var named = v.split(",").map(function (s) { return s.trim(); }).filter(Boolean);
        if (named.indexOf(ownId) >= 0) { return "selfStep"; }
        var known = userTaskIds();
        return named.some(function (id) { return known.indexOf(id) < 0; }) ? "unknownStep" : null;
      };
    }

    // Separation of duties (R1.3.4): who may not do the task, under a heading of its own.
    function dutiesFields(element) {
      var bo = element.businessObject;
      var section = el("div", { "class": "mt-3 pt-2 border-top", id: "prop-duties" });
      section.appendChild(el("div", { "class": "fw-semibold" }, labels.duties));
      section.appendChild(el("div", { "class": "form-text mt-0 mb-1" }, labels.dutiesHint));
      section.appendChild(input("notBy", readProperty(bo, "notBy"), function (v) {
        writeProperty(element, "notBy", v.trim());
      }, { mono: true }));
      section.appendChild(input("notSameAs", readProperty(bo, "notSameAs"), function (v) {
        var ids = v.split(",").map(function (s) { return s.trim(); }).filter(Boolean);
        writeProperty(element, "notSameAs", ids.join(", "));
      }, { mono: true, check: sameAsCheck(bo.id) }));
      return section;
    }

    var checks = {
      formKey: function (v) { return !v ? "required" : (options.forms()[v] === undefined ? "unknownForm" : null); },
      dueIn: function (v) { return v && /^P/.test(v) && !ISO_DURATION.test(v) ? "badDuration" : null; },
      role: function (v) { return v && options.roles.indexOf(v) < 0 ? "unknownRole" : null; }
    };

    function timerOf(bo) {
      return (bo.eventDefinitions || []).filter(function (d) { return d.$type === "bpmn:TimerEventDefinition"; })[0];
    }

    function timerFields(element, timer) {
      var kinds = ["timeDuration", "timeDate", "timeCycle"];
      var kind = kinds.filter(function (k) { return timer[k]; })[0] || "timeDuration";
      var wrap = el("div", { "class": "mb-2" });
      var select = el("select", { "class": "form-select form-select-sm mb-1", "data-prop": "timerKind", id: "prop-timer-kind" });
      kinds.forEach(function (k) {
        var o = el("option", { value: k }, labels[k] || k);
        if (k === kind) { o.selected = true; }
        select.appendChild(o);
      });
      wrap.appendChild(el("label", { "class": "form-label mb-0", "for": "prop-timer-kind" }, labels.timer));
      wrap.appendChild(select);
      var text = input("timerText", timer[kind] ? timer[kind].body : "", save, { prop: "timer", mono: true });
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

    function fieldsOf(element) {
      var bo = element.businessObject, modeling = modeler.get("modeling"), moddle = modeler.get("moddle");
      var fields = [];
      if (element.type !== "label") {
        fields.push(input("name", bo.name, function (v) { modeling.updateLabel(element, v); }));
      }
      if (bo.$type === "bpmn:UserTask") {
        USER_PROPS.forEach(function (name) {
          fields.push(input(name, readProperty(bo, name), function (v) { writeProperty(element, name, v.trim()); },
            { mono: true, list: name === "formKey" ? "form-list" : null, check: checks[name] }));
        });
        fields.push(dutiesFields(element));
      }
      if (bo.$type === "bpmn:ScriptTask") {
        fields.push(input("script", bo.script, function (v) {
          modeling.updateProperties(element, { scriptFormat: "python", script: v });
        }, { mono: true, multiline: true }));
      }
      if (bo.$type === "bpmn:SequenceFlow") {
        fields.push(input("condition", bo.conditionExpression ? bo.conditionExpression.body : "", function (v) {
          modeling.updateProperties(element, { conditionExpression: v.trim() ?
            moddle.create("bpmn:FormalExpression", { body: v.trim() }) : undefined });
        }, { mono: true }));
      }
      var timer = timerOf(bo);
      if (timer) { fields.push(timerFields(element, timer)); }
      if (bo.$type === "bpmn:Lane") {
        fields.push(input("role", options.entry().lanes[bo.name] || "", function (v) {
          options.setLaneRole(bo.name, v);
        }, { list: "role-list", check: checks.role }));
      }
      return fields;
    }

    this.show = function (element) {
      box.textContent = "";
      box.className = "small";
      box.removeAttribute("data-element");
      if (!element) {
        box.className = "small text-body-secondary";
        box.textContent = options.emptyText;
        return;
      }
      var bo = element.businessObject;
      box.setAttribute("data-element", bo.id);
      var title = el("div", { "class": "mb-2" });
      title.appendChild(el("strong", {}, bo.name || bo.$type.replace("bpmn:", "")));
      title.appendChild(el("span", { "class": "font-monospace text-body-secondary ms-1" },
                           bo.$type.replace("bpmn:", "") + " · " + bo.id));
      box.appendChild(title);
      fieldsOf(element).forEach(function (field) { box.appendChild(field); });
    };
    this.checkRole = checks.role;
  }

  global.ZhiduElementPanel = ElementPanel;
  global.zhiduEl = el;
})(window);
