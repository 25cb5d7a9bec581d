// The task page's expert-panel buttons: 随机抽取专家 (the server draws with a recorded seed; the panel
// and the seed go into the form, to be submitted with it) and 声明回避 (an expert's conflict of interest).
(function () {
  'use strict';

  const { http, taskPage } = window.greenlist;
  const { escapeHtml, show } = window.greenlist.text;

  const drawButton = document.getElementById('expert-draw');
  if (drawButton) {
    drawButton.addEventListener('click', async () => {
      drawButton.disabled = true;
      let answer;
      try {
        answer = await http.api('POST', '/api/tasks/' + taskPage.taskId + '/expert-draw');
      } catch (e) {
        answer = { status: 0, body: { message: '网络不可用' } };
      }
      drawButton.disabled = false;
      const { status, body } = answer;
      if (status !== 200) {
        show('error', '未能抽取：' + escapeHtml(body.message || ('状态 ' + status)), { scroll: true });
        return;
      }
      await taskPage.setData({ experts: body.experts.map((e) => e.value), panel_seed: body.seed });
      show('success', '已从 ' + body.eligible_count + ' 位符合条件的专家中随机抽取：' +
        body.experts.map((e) => escapeHtml(e.name)).join('、') + '（种子 ' + escapeHtml(body.seed) +
        '）。提交后生效。', { scroll: true });
    });
  }

  const conflictForm = document.getElementById('conflict-form');
  if (conflictForm) {
    conflictForm.addEventListener('submit', async (event) => {
      event.preventDefault();
      const note = document.getElementById('conflict-status');
      const reason = conflictForm.elements.reason.value;
      note.textContent = '正在提交…';
      let answer;
      try {
        answer = await http.api('POST', '/api/tasks/' + taskPage.taskId + '/conflict', { reason });
      } catch (e) {
        answer = { status: 0, body: { message: '网络不可用' } };
      }
      const { status, body } = answer;
      if (status === 200) {
        location.assign('/inbox');
        return;
      }
      const reasons = body.errors ? Object.values(body.errors).flat().join('；') : '';
      note.textContent = '未能提交：' + (body.message || status) + (reasons ? '（' + reasons + '）' : '');
    });
  }
})();
