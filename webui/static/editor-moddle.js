// What bpmn-js must know of SpiffWorkflow's extension namespace to keep it through the
// editor's round trip: the extension elements zhidu's procedures and SpiffWorkflow's parser use
// (task properties, pre/post scripts, decision ids, message payloads, instructions) and the
// scriptsOnInstances attribute of a multi-instance loop. Anything not described here is still
// kept: bpmn-js carries unknown elements and attributes as generic ones. SpiffWorkflow also
// reads some BPMN references as variable names (loopDataInputRef names the collection to
// iterate), which bpmn-js drops as "unresolved"; keepReferences puts them back after import.
(function (global) {
  "use strict";
  function body(name, property) {
    return { name: name, superClass: ["Element"],
             properties: [{ name: property || "value", isBody: true, type: "String" }] };
  }
  function attrs(name, names) {
    return { name: name, superClass: ["Element"], properties: names.map(function (n) {
      return { name: n, isAttr: true, type: "String" };
    }) };
  }
  // References whose target is not an element of the file (a variable name, as
  // SpiffWorkflow reads loopDataInputRef/loopDataOutputRef) come back as placeholders that
  // carry the text as their id, which is what bpmn-js writes out again.
  function keepReferences(moddle, warnings) {
    var kept = 0;
    (warnings || []).forEach(function (warning) {
      var element = warning.element, name = warning.property;
      if (!/^unresolved reference/.test(warning.message || "") || !element || !name) { return; }
      var property = element.$descriptor.propertiesByName[name];
      if (!property) { return; }
      var placeholder = moddle.create(property.type, { id: warning.value });
      if (property.isMany) { element.get(property.name).push(placeholder); }
      else { element.set(property.name, placeholder); }
      kept += 1;
    });
    return kept;
  }

  global.ZhiduModdle = { keepReferences: keepReferences, extensions: {
    spiffworkflow: {
      name: "SpiffWorkflow",
      uri: "http://spiffworkflow.org/bpmn/schema/1.0/core",
      prefix: "spiffworkflow",
      xml: { tagAlias: "lowerCase" },
      associations: [],
      types: [
        { name: "Properties", superClass: ["Element"],
          properties: [{ name: "properties", type: "Property", isMany: true }] },
        attrs("Property", ["name", "value"]),
        body("PreScript", "script"),
        body("PostScript", "script"),
        body("CalledDecisionId", "decisionId"),
        body("InstructionsForEndUser", "instructions"),
        body("MessagePayload", "messagePayload"),
        body("MessageVariable", "messageVariable"),
        body("SignalPayload", "payload"),
        body("VariableName", "variable"),
        { name: "ServiceTaskOperator", superClass: ["Element"], properties: [
          { name: "id", isAttr: true, type: "String" },
          { name: "resultVariable", isAttr: true, type: "String" },
          { name: "parameterList", type: "Parameters" }] },
        { name: "Parameters", superClass: ["Element"],
          properties: [{ name: "parameters", type: "Parameter", isMany: true }] },
        attrs("Parameter", ["name", "type", "value"]),
        { name: "MultiInstanceScripts", extends: ["bpmn:MultiInstanceLoopCharacteristics"],
          properties: [{ name: "scriptsOnInstances", isAttr: true, type: "String" }] }
      ]
    }
  } };
})(typeof window !== "undefined" ? window : globalThis);
