// The draft editor's 申报类别 tab: the version's categories as a small table, saved as processes/categories.json.
// The steps offered are the user tasks of the diagram in the modeler (saved or not); choosing one fills in
// its form. Whether everything fits together is the validation's to say (校验草稿).
(function () {
  'use strict';

  const draft = window.greenlist.draft;
  const { show, escapeHtml } = window.greenlist.text;
  const FILE = 'processes/categories.json';
  const body = document.querySelector('#category-table tbody');
  const status = document.getElementById('category-status');

  function initial() {
    try {
      const parsed = JSON.parse(draft.ctx.files[FILE] || draft.ctx.categories);
      return Array.isArray(parsed.categories) ? parsed.categories : [];
    } catch (error) {
      show('error', '类别定义无法读取（' + escapeHtml(error.message) + '），已从空表开始；保存后将替换原文件');
      return [];
    }
  }

  function userTasks() {
    return draft.modeler.get('elementRegistry').filter((e) => e.type === 'bpmn:UserTask')
      .map((e) => ({ id: e.id, name: e.businessObject.name || e.id, form: draft.getProperty(e.businessObject, 'form') }));
  }

  function choice(options, value) {
    const control = document.createElement('select');
    const known = options.some(([v]) => v === value);
    for (const [optionValue, label] of [['', '（请选择）'], ...options, ...(value && !known ? [[value, value + '（不存在）']] : [])]) {
      control.appendChild(Object.assign(document.createElement('option'),
        { value: optionValue, textContent: label, selected: optionValue === (value || '') }));
    }
    return control;
  }

  function text(value, label, properties) {
    const control = Object.assign(document.createElement('input'), { value: value || '', ...properties });
    control.setAttribute('aria-label', label);
    return control;
  }

  function cell(row, control) {
    const td = document.createElement('td');
    td.appendChild(control);
    row.appendChild(td);
    return control;
  }

  function addRow(category) {
    const tasks = userTasks();
    const row = document.createElement('tr');
    cell(row, text(category.key, '类别代码', { className: 'category-key', placeholder: 'design_product' }));
    cell(row, text(category.name, '中文名称', { className: 'category-name', placeholder: '绿色设计产品' }));
    cell(row, text(category.code, '编号简称', { className: 'category-code', placeholder: 'SJ', size: 6 }));
    const step = cell(row, choice(tasks.map((t) => [t.id, t.name + '（' + t.id + '）']), category.step));
    step.className = 'category-step literal';  // a step's element id, as the process files name it
    step.setAttribute('aria-label', '申报环节');
    const form = cell(row, choice(draft.formFiles().map((f) => [f, f]), category.form));
    form.className = 'category-form';
    form.setAttribute('aria-label', '申报表单');
    step.addEventListener('change', () => {
      const task = userTasks().find((t) => t.id === step.value);
      if (task && task.form) form.value = task.form;
    });
    const columns = cell(row, Object.assign(document.createElement('textarea'), { className: 'category-columns', rows: 2,
      value: (category.summary_columns || []).map((c) => c.field + '=' + c.label).join('\n') }));
    columns.setAttribute('aria-label', '汇总表附加列');
    const remove = cell(row, Object.assign(document.createElement('button'), { type: 'button', textContent: '删除' }));
    remove.addEventListener('click', () => row.remove());
    body.appendChild(row);
  }

  function rows() {
    return [...body.querySelectorAll('tr')].map((row) => ({
      key: row.querySelector('.category-key').value.trim(),
      name: row.querySelector('.category-name').value.trim(),
      code: row.querySelector('.category-code').value.trim(),
      step: row.querySelector('.category-step').value,
      form: row.querySelector('.category-form').value,
      summary_columns: row.querySelector('.category-columns').value.split('\n').map((line) => line.trim()).filter(Boolean)
        .map((line) => { const [field, ...label] = line.split('='); return { field: field.trim(), label: label.join('=').trim() }; }),
    }));
  }

  let loaded = false;
  document.querySelector('[data-tab="categories"]').addEventListener('click', () => {
    const current = loaded ? rows() : initial();  // the diagram may have new tasks since: rebuild the choices
    loaded = true;
    body.replaceChildren();
    current.forEach(addRow);
  });
  document.getElementById('add-category').addEventListener('click', () => addRow({}));
  document.getElementById('save-categories').addEventListener('click', () =>
    draft.saveFile(FILE, JSON.stringify({ categories: rows() }, null, 2) + '\n', status));
})();
