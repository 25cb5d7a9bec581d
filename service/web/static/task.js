// The task page: renders the step's form with form-js, keeps every keystroke (in this browser at once,
// on the server as a draft shortly after), submits, and shows the server's errors at their fields.
(function () {
  'use strict';

  const { http, formAdapter: forms } = window.greenlist;
  const { escapeHtml, show: showBanner } = window.greenlist.text;
  const ctx = JSON.parse(document.getElementById('task-context').textContent);
  const status = document.getElementById('draft-status');
  const localKey = 'greenlist:draft:' + ctx.user + ':' + ctx.task_id;
  const SAVE_DELAY_MS = 1200;

  // form-js writes its own messages in English; the users read Chinese.
  const MESSAGES = [
    [/^Field is required\.$/, () => '必填项'],
    [/^Value is not a number\.$/, () => '请输入数字'],
    [/^Value is expected to be an integer\.$/, () => '请输入整数'],
    [/^Value is expected to have at most (\d+) decimal digits?\.$/, (m) => '最多 ' + m[1] + ' 位小数'],
    [/^Field must have minimum value of (.+)\.$/, (m) => '不能小于 ' + m[1]],
    [/^Field must have maximum value of (.+)\.$/, (m) => '不能大于 ' + m[1]],
    [/^Field must have minimum length of (.+)\.$/, (m) => '至少 ' + m[1] + ' 个字符'],
    [/^Field must have maximum length of (.+)\.$/, (m) => '最多 ' + m[1] + ' 个字符'],
    [/^Field must match pattern (.+)\.$/, () => '格式不正确'],
    [/^Field must be a valid email\.$/, () => '请输入有效的电子邮箱'],
    [/^Please select a valid value, the two nearest valid values are (.+) and (.+)\.$/,
      (m) => '请输入有效值，最接近的是 ' + m[1] + ' 和 ' + m[2]],
  ];

  function translate(message) {
    for (const [pattern, text] of MESSAGES) {
      const match = pattern.exec(message);
      if (match) return text(match);
    }
    return message;
  }

  // The keys the form submits, and the component id form-js files each key's errors under.
  const idByKey = {};
  (function walk(components) {
    for (const c of components || []) {
      if (c.key) idByKey[c.key] = c.id;
      walk(c.components);
    }
  })(ctx.form.components);

  function formData(all) {
    const data = {};
    for (const key of Object.keys(idByKey)) {
      if (all[key] !== undefined) data[key] = all[key];
    }
    return data;
  }

  const show = (kind, html) => showBanner(kind, html, { scroll: true });  // the form is long

  function clock() {
    return new Date().toLocaleTimeString('zh-CN', { hour12: false, timeZone: 'Asia/Shanghai' });
  }

  // What this browser kept: newer than the server's draft when the last save did not reach the server.
  function readLocal() {
    try { return JSON.parse(localStorage.getItem(localKey) || 'null'); } catch (e) { return null; }
  }
  function writeLocal(data, synced) {
    try { localStorage.setItem(localKey, JSON.stringify({ data, synced, at: Date.now() })); } catch (e) { /* full */ }
  }

  let data = ctx.data || {};
  const local = readLocal();
  if (local && !local.synced) {
    data = local.data;
    show('info', '已恢复您在本机输入但尚未保存到服务器的内容。');
  }

  // Every keystroke reaches the form's data at once: a click on 提交 right after typing loses nothing.
  const form = forms.create(document.getElementById('form'));
  forms.translateMessages(form, translate);

  let lastSaved = JSON.stringify(formData(data));
  let timer = null;
  let ready = false;

  function saveDraft() {
    timer = null;
    const current = formData(forms.readData(form));
    const text = JSON.stringify(current);
    if (text === lastSaved) return Promise.resolve();
    return http.api('PUT', '/api/tasks/' + ctx.task_id + '/draft', { data: current }).then(({ status: code, body }) => {
      if (code === 200) {
        lastSaved = text;
        writeLocal(current, true);
        status.textContent = '草稿已自动保存 ' + clock();
      } else if (code === 401) {
        status.innerHTML = '登录已过期：输入已保存在本机。<a href="/login?next=' + encodeURIComponent(location.pathname) + '" target="_blank">重新登录</a>后回到本页即可继续。';
      } else if (code === 409 || code === 404) {
        status.textContent = '未能保存到服务器：' + (body.message || '任务已变化') + '（输入已保存在本机）';
      } else {
        status.textContent = '未能保存到服务器（' + (body.message || code) + '），输入已保存在本机';
      }
    }, () => {
      status.textContent = '网络不可用：输入已保存在本机，恢复后会自动保存';
    });
  }

  form.on('changed', (state) => {
    if (!ready) return;
    const current = formData(state.data);
    if (JSON.stringify(current) === lastSaved) return;
    writeLocal(current, false);
    status.textContent = '正在保存…';
    clearTimeout(timer);
    timer = setTimeout(saveDraft, SAVE_DELAY_MS);
  });
  window.addEventListener('online', () => saveDraft());
  // Leaving with a save pending: send it (keepalive outlives the page); this browser has the input anyway.
  window.addEventListener('pagehide', () => {
    if (timer === null) return;
    clearTimeout(timer);
    http.sendOnLeave('PUT', '/api/tasks/' + ctx.task_id + '/draft', { data: formData(forms.readData(form)) });
  });

  function showFieldErrors(fields) {
    const errors = {};
    const elsewhere = [];
    for (const [key, messages] of Object.entries(fields || {})) {
      const list = Array.isArray(messages) ? messages : [String(messages)];
      if (idByKey[key]) errors[idByKey[key]] = list;
      else elsewhere.push(key + '：' + list.join('；'));
    }
    forms.showErrors(form, errors);
    return elsewhere;
  }

  function firstError() {
    const field = forms.firstFieldWithError(document.getElementById('form'));
    if (field) field.scrollIntoView({ block: 'center' });
  }

  // A decision that cannot be undone (the server's list, ctx.confirm) asks first, in the page's own dialog.
  function confirmed(current) {
    const rule = ctx.confirm || {};
    const text = rule.values && rule.values[current[rule.field]];
    const dialog = document.getElementById('decision-confirm');
    if (!text || !dialog) return Promise.resolve(true);
    document.getElementById('decision-confirm-body').textContent = text;
    return new Promise((resolve) => {
      dialog.addEventListener('close', () => resolve(dialog.returnValue === 'ok'), { once: true });
      dialog.returnValue = '';
      dialog.showModal();
      document.getElementById('decision-confirm-cancel').focus();  // Enter does not confirm by accident
    });
  }

  const submitButton = document.getElementById('submit');
  submitButton.addEventListener('click', async () => {
    const result = form.submit();
    const count = Object.keys(result.errors).length;
    if (count) {
      show('error', '有 ' + count + ' 处需要修改，已在表单中标出。');
      firstError();
      return;
    }
    const current = formData(result.data);
    writeLocal(current, false);
    if (!(await confirmed(current))) return;  // cancelled: the form keeps everything typed
    submitButton.disabled = true;
    submitButton.textContent = '正在提交…';
    let response;
    try {
      response = await http.api('POST', '/api/tasks/' + ctx.task_id + '/submit', { data: current, version: ctx.version });
    } catch (e) {
      response = { status: 0, body: { message: '网络不可用' } };
    }
    submitButton.disabled = false;
    submitButton.textContent = '提交';
    const { status: code, body } = response;
    if (code === 200) {
      localStorage.removeItem(localKey);
      clearTimeout(timer);
      timer = null;
      location.assign('/applications/' + ctx.application_id + '?submitted=1');
      return;
    }
    if (code === 422 && (body.code === 'attachments_missing' || body.code === 'materials_incomplete')) {
      const { attachments: missing, ...rest } = body.errors || {};
      showFieldErrors(rest);
      show('error', escapeHtml(body.message) + (missing ? '<br>' + missing.map(escapeHtml).join('<br>') : '') +
        ' <a href="#attachments-card">查看附件</a>');
    } else if (code === 422) {
      const elsewhere = showFieldErrors(body.errors);
      show('error', escapeHtml(body.message || '提交的内容有误') + '：请修改表单中标出的字段。' +
        (elsewhere.length ? '<br>' + elsewhere.map(escapeHtml).join('<br>') : ''));
      firstError();
    } else if (code === 409) {
      show('error', escapeHtml(body.message || '任务已变化') + '。您的输入仍在本页，也已保存在本机；' +
        '<a href="' + location.pathname + '">刷新</a>查看最新情况后可继续使用。');
    } else if (code === 401) {
      show('error', '登录已过期，输入已保存在本机。请<a href="/login?next=' + encodeURIComponent(location.pathname) + '" target="_blank">重新登录</a>后再次提交。');
    } else {
      show('error', '提交未成功（' + escapeHtml(body.message || ('状态 ' + code)) + '），您的输入已保存在本机。');
    }
  });

  document.getElementById('save').addEventListener('click', () => {
    clearTimeout(timer);
    lastSaved = null;
    saveDraft();
  });

  // Attachments: upload, and until the declaration is submitted replace or delete (the server keeps the
  // old file on record and refuses once the declaration is in).
  const kindLabels = {};
  const upload = document.getElementById('upload');
  const list = document.getElementById('attachments');

  function failure(code, result) {
    const reasons = result.errors ? Object.values(result.errors).flat().join('；') : '';
    return (result.message || ('状态 ' + code)) + (reasons ? '（' + reasons + '）' : '');
  }

  function attachmentItem(result) {
    const item = document.createElement('li');
    item.dataset.attachment = result.id;
    item.innerHTML = '<a href="/api/attachments/' + result.id + '">' + escapeHtml(result.name) + '</a> ' +
      '<span class="muted">' + escapeHtml(kindLabels[result.kind] || result.kind) + ' · ' +
      (result.size / 1024).toFixed(1) + ' KB</span>' +
      '<span class="attachment-actions"><label class="button small">替换<input type="file" class="file-input replace-file" ' +
      'accept="application/pdf,.pdf" aria-label="替换 ' + escapeHtml(result.name) + '"></label> ' +
      '<button type="button" class="small danger remove-attachment">删除</button></span>';
    return item;
  }

  function tooLarge(file, note) {
    // Said here rather than after sending 20 MB and more: the server refuses it (or drops the connection).
    const maxBytes = Number(upload.dataset.maxBytes);
    if (file.size <= maxBytes) return false;
    note.textContent = '上传失败：文件不能超过 ' + Math.round(maxBytes / 1048576) + ' MB';
    return true;
  }

  if (upload) {
    for (const option of upload.elements.kind.options) kindLabels[option.value] = option.textContent;
    upload.addEventListener('submit', async (event) => {
      event.preventDefault();
      const file = upload.elements.file.files[0];
      const note = document.getElementById('upload-status');
      if (!file) { note.textContent = '请选择 PDF 文件'; return; }
      if (tooLarge(file, note)) return;
      const kind = upload.elements.kind.value;
      const body = new FormData();
      body.append('application_id', ctx.application_id);
      body.append('kind', kind);
      body.append('file', file);
      note.textContent = '正在上传…';
      let answer;
      try {
        answer = await http.api('POST', '/api/attachments', body);
      } catch (e) {
        note.textContent = '上传失败：网络中断，请检查网络后重试';
        return;
      }
      const { status: code, body: result } = answer;
      if (code === 201) {
        const none = list.querySelector('.none');
        if (none) none.remove();
        list.appendChild(attachmentItem(result));
        note.textContent = '已上传：' + result.name;
        const kind = upload.elements.kind.value;
        upload.reset();
        upload.elements.kind.value = kind;  // the next file is often of the same kind: keep the choice
        const name = document.getElementById('attachment-file-name');
        if (name) name.textContent = '未选择文件';
        // A form choosing among the uploaded files (valuesKey = the kind) offers the new one at once.
        if (Array.isArray((ctx.options || {})[kind])) {
          // Offered by its name, like the server's choices; a second file of that name by its order.
          const same = ctx.options[kind].filter(
            (o) => o.label === result.name || o.label.startsWith(result.name + '（第 ')).length;
          const label = same ? result.name + '（第 ' + (same + 1) + ' 份）' : result.name;
          ctx.options[kind].push({ value: String(result.id), label });
          window.greenlist.taskPage.setData({});
        }
      } else {
        note.textContent = '上传失败：' + failure(code, result);
      }
    });

    list.addEventListener('click', async (event) => {
      const button = event.target.closest('.remove-attachment');
      if (!button) return;
      const item = button.closest('li');
      const name = item.querySelector('a').textContent;
      const note = document.getElementById('upload-status');
      if (!window.confirm('删除附件“' + name + '”？删除后它不再作为申报材料（原文件留档，记入办理记录）。')) return;
      let answer;
      try {
        answer = await http.api('DELETE', '/api/attachments/' + item.dataset.attachment);
      } catch (e) {
        note.textContent = '删除失败：网络中断，请重试';
        return;
      }
      if (answer.status === 200) {
        item.remove();
        note.textContent = '已删除：' + name;
      } else {
        note.textContent = '删除失败：' + failure(answer.status, answer.body);
      }
    });

    list.addEventListener('change', async (event) => {
      const input = event.target.closest('.replace-file');
      if (!input || !input.files[0]) return;
      const item = input.closest('li');
      const oldName = item.querySelector('a').textContent;
      const note = document.getElementById('upload-status');
      const file = input.files[0];
      if (tooLarge(file, note)) { input.value = ''; return; }
      const body = new FormData();
      body.append('file', file);
      note.textContent = '正在替换…';
      let answer;
      try {
        answer = await http.api('POST', '/api/attachments/' + item.dataset.attachment + '/replace', body);
      } catch (e) {
        note.textContent = '替换失败：网络中断，请重试';
        return;
      }
      input.value = '';
      if (answer.status === 201) {
        item.replaceWith(attachmentItem(answer.body));
        note.textContent = '已用“' + answer.body.name + '”替换“' + oldName + '”（原文件留档）';
      } else {
        note.textContent = '替换失败：' + failure(answer.status, answer.body);
      }
    });
  }

  // For panel.js: put values (a drawn panel) into the form, keeping the rest of what was entered; saved
  // like any edit.
  window.greenlist.taskPage = {
    taskId: ctx.task_id,
    setData(values) {
      const merged = Object.assign(formData(forms.readData(form)), values);
      return form.importSchema(ctx.form, Object.assign({}, ctx.options || {}, merged)).then(() => {
        writeLocal(merged, false);
        clearTimeout(timer);
        timer = setTimeout(saveDraft, SAVE_DELAY_MS);
      });
    },
  };

  form.importSchema(ctx.form, Object.assign({}, ctx.options || {}, data)).then(() => {
    // form-js fills in every field (empty or default) on import: that is the baseline, not an edit.
    lastSaved = JSON.stringify(formData(forms.readData(form)));
    ready = true;
    if (local && !local.synced) saveDraft();
  }, (error) => {
    show('error', '表单无法显示：' + escapeHtml(error.message));
  });
})();
