// Behaviours any page may ask for with a data attribute. The Content-Security-Policy runs no inline
// handler (onclick=, onchange=), so templates name the behaviour and this file, served by us, attaches it.
(function () {
  'use strict';
  for (const field of document.querySelectorAll('[data-submit-on-change]')) {
    field.addEventListener('change', () => field.form.requestSubmit());
  }
  for (const button of document.querySelectorAll('[data-print]')) {
    button.addEventListener('click', () => window.print());
  }
})();
