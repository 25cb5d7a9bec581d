// Behaviours any page may ask for with a data attribute. The Content-Security-Policy runs no inline
// handler (onclick=, onchange=), so templates name the behaviour and this file, served by us, attaches it.
(function () {
  'use strict';
  for (const field of document.querySelectorAll('[data-submit-on-change]')) {
    field.addEventListener('change', () => field.form.requestSubmit());
  }
  // A file input under a Chinese 选择文件 button (its label; the browser's own button and "No file chosen"
  // are in the browser's language): <span data-file-name-of="input id"> shows the chosen file's name.
  for (const name of document.querySelectorAll('[data-file-name-of]')) {
    const input = document.getElementById(name.dataset.fileNameOf);
    const none = name.textContent;
    const show = () => {
      const files = input.files;
      name.textContent = !files.length ? none : files.length === 1 ? files[0].name : '已选择 ' + files.length + ' 个文件';
    };
    input.addEventListener('change', show);
    if (input.form) input.form.addEventListener('reset', () => setTimeout(show));  // after the reset
  }
  for (const button of document.querySelectorAll('[data-print]')) {
    button.addEventListener('click', () => window.print());
  }
})();
