// Batch actions on the round page: nothing is sent until the user has read what will happen and confirmed.
(function () {
  'use strict';
  const dialog = document.getElementById('confirm');
  for (const form of document.querySelectorAll('form.batch')) {
    const all = form.querySelector('.select-all');
    if (all) {
      all.addEventListener('change', () => {
        for (const box of form.querySelectorAll('input[name="applications"]')) box.checked = all.checked;
      });
    }
    form.addEventListener('submit', (event) => {
      if (form.dataset.confirmed === 'yes') return;
      event.preventDefault();
      const chosen = [...form.querySelectorAll('input[name="applications"]:checked')];
      document.getElementById('confirm-title').textContent = form.dataset.label + '：' + chosen.length + ' 个申报';
      document.getElementById('confirm-body').textContent = chosen.length
        ? form.dataset.explanation : '请先勾选申报。';
      const list = document.getElementById('confirm-list');
      list.replaceChildren(...chosen.map((box) => {
        const item = document.createElement('li');
        item.textContent = box.dataset.unit;
        return item;
      }));
      document.getElementById('confirm-ok').hidden = !chosen.length;
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
