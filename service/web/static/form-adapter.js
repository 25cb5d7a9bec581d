// Every use of form-js's viewer beyond its documented API (new Form, importSchema, on, submit) is here,
// written against the version package-lock.json pins (@bpmn-io/form-js 1.23.0). After an upgrade,
// tests/browser/test_form_adapter.py says whether these still hold; the pages call only these names.
(function () {
  'use strict';
  const greenlist = window.greenlist = window.greenlist || {};

  // A viewer in `container` that commits every keystroke to its data at once (the undocumented
  // `debounce: false` option), so a click on 提交 right after typing loses nothing.
  function create(container) {
    return new FormViewer.Form({ container, debounce: false });
  }

  // form-js writes its validation messages in English: pass each through translate(message).
  // Its validator service is internal; every field check and submit() goes through this method.
  function translateMessages(form, translate) {
    const validator = form.get('validator');
    const validate = validator.validateFieldInstance.bind(validator);
    validator.validateFieldInstance = (instance, value) => validate(instance, value).map(translate);
  }

  // The form's current data, without validating (submit() would mark every empty required field).
  function readData(form) {
    return form._getState().data;
  }

  // The errors drawn at the fields, keyed by component id: {id: [message, ...]}.
  function readErrors(form) {
    return form._getState().errors;
  }

  // Draw these errors ({component id: [message, ...]}) at their fields, replacing the ones shown;
  // {} clears them.
  function showErrors(form, errorsById) {
    form._setState({ errors: errorsById });
  }

  // The first field inside `container` that form-js marks as having an error: its wrapper element
  // (form-js's markup: <div class="fjs-form-field ... fjs-has-errors">), or null.
  function firstFieldWithError(container) {
    return container.querySelector('.fjs-has-errors');
  }

  greenlist.formAdapter = { create, translateMessages, readData, readErrors, showErrors, firstFieldWithError };
})();
