// The SpiffWorkflow extension elements the service reads, described for bpmn-js's moddle so the
// modeler keeps and edits them: properties (form, assignee), calledDecisionId, scripts, message variable.
window.SPIFFWORKFLOW_MODDLE = {
  name: 'SpiffWorkflow',
  uri: 'http://spiffworkflow.org/bpmn/schema/1.0/core',
  prefix: 'spiffworkflow',
  xml: { tagAlias: 'lowerCase' },
  associations: [],
  types: [
    { name: 'Properties', superClass: ['Element'], properties: [{ name: 'properties', type: 'Property', isMany: true }] },
    { name: 'Property', superClass: ['Element'], properties: [
      { name: 'name', type: 'String', isAttr: true }, { name: 'value', type: 'String', isAttr: true }] },
    { name: 'CalledDecisionId', superClass: ['Element'], properties: [{ name: 'value', type: 'String', isBody: true }] },
    { name: 'PreScript', superClass: ['Element'], properties: [{ name: 'value', type: 'String', isBody: true }] },
    { name: 'PostScript', superClass: ['Element'], properties: [{ name: 'value', type: 'String', isBody: true }] },
    { name: 'MessageVariable', superClass: ['Element'], properties: [{ name: 'value', type: 'String', isBody: true }] },
  ],
};
