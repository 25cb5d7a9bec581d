// 转办 / 撤回 / 放弃申报 / 催办 / 抄送: a form is sent only after the user has read what it will do and confirmed.
(function () {
  'use strict';
  const dialog = document.getElementById('action-confirm');
  if (!dialog) return;
  for (const form of document.querySelectorAll('form[data-confirm]')) {
    form.addEventListener('submit', (event) => {
      if (form.dataset.confirmed === 'yes') return;
      event.preventDefault();
      document.getElementById('action-confirm-title').textContent = form.dataset.confirmTitle || '请确认';
      document.getElementById('action-confirm-body').textContent = form.dataset.confirm;
      dialog.returnValue = '';
      dialog.showModal();
      dialog.addEventListener('close', () => {
        if (dialog.returnValue === 'ok') {
          form.dataset.confirmed = 'yes';
          form.requestSubmit();
        }
      }, { once: true });
    });
  }
})();
