// The draft editor: bpmn-js's modeler with a properties panel for what the service reads, form-js's
// editor for forms, rules as text, uploads; validation drawn as markers; rehearsal; deployment.
// Every change goes through the drafts API, with the revision read last so no one's work is overwritten.
(function () {
  'use strict';

  const { api } = window.greenlist.http;
  const { escapeHtml, show } = window.greenlist.text;
  const viewer = window.greenlist.viewer;
  const ctx = JSON.parse(document.getElementById('draft-context').textContent);
  const base = '/api/process-drafts/' + ctx.draft_id;
  let revision = ctx.revision;

  function explain(body) {
    const fields = body.errors ? Object.values(body.errors).flat() : [];
    const details = Array.isArray(body.details) ? body.details.map((d) => d.message || d) : [];
    return escapeHtml(body.message || '操作失败') + [...fields, ...details].map((m) => '<br>' + escapeHtml(m)).join('');
  }

  async function saveFile(name, content, status) {
    status.textContent = '正在保存…';
    const { status: code, body } = await api('PUT', base + '/files/' + name, { content, revision });
    if (code === 200) {
      revision = body.revision;
      ctx.files[name] = content;
      document.getElementById('revision').textContent = revision;
      status.textContent = '已保存 ' + new Date().toLocaleTimeString('zh-CN', { hour12: false });
      return true;
    }
    status.textContent = '';
    show('error', (code === 409 ? '保存未成功：' : '') + explain(body));
    return false;
  }

  // -- tabs -----------------------------------------------------------------------------
  for (const button of document.querySelectorAll('.tabs button')) {
    button.addEventListener('click', () => {
      for (const other of document.querySelectorAll('.tabs button')) other.classList.toggle('on', other === button);
      for (const tab of document.querySelectorAll('section.tab')) tab.hidden = tab.id !== 'tab-' + button.dataset.tab;
    });
  }
  // Back from a form posted by a tab (the notice files): open that tab again.
  const returnedTo = location.hash && document.querySelector('.tabs button[data-tab="' + location.hash.slice(1) + '"]');
  if (returnedTo) setTimeout(() => returnedTo.click(), 0);

  // -- the diagram ----------------------------------------------------------------------
  // Keyboard shortcuts (undo, delete, r = change type, …) work while the pointer is on the page.
  const container = document.getElementById('modeler');
  const modeler = new BpmnJS({ container, keyboard: { bindTo: document },
    additionalModules: [window.MODELER_ZH], moddleExtensions: { spiffworkflow: window.SPIFFWORKFLOW_MODDLE } });
  window.greenlistModeler = modeler;  // for support: inspect the diagram from the browser console
  const modeling = () => modeler.get('modeling');
  const moddle = () => modeler.get('moddle');
  let dirty = false;

  const opened = ctx.files[ctx.main] ? modeler.importXML(ctx.files[ctx.main])
    : modeler.createDiagram().then(() => show('info', '草稿中没有流程图：已新建空白流程图，也可以在“上传文件”页上传 .bpmn。'));
  opened.then(() => {
    viewer.fit(modeler, container);
    modeler.on('commandStack.changed', () => {
      dirty = true;
      document.getElementById('diagram-status').textContent = '有未保存的修改';
    });
  }, (error) => show('error', '流程图无法打开：' + escapeHtml(error.message)));

  async function saveDiagram() {
    const { xml } = await modeler.saveXML({ format: true });
    const saved = await saveFile(ctx.main, xml, document.getElementById('diagram-status'));
    if (saved) dirty = false;
    return saved;
  }
  document.getElementById('save-diagram').addEventListener('click', saveDiagram);
  window.addEventListener('beforeunload', (event) => { if (dirty) event.preventDefault(); });

  // -- the properties panel -------------------------------------------------------------
  const props = document.getElementById('props');
  const formFiles = () => Object.keys(ctx.files).filter((n) => n.startsWith('forms/')).map((n) => n.slice(6));

  function extension(bo, type) {
    return (bo.extensionElements && bo.extensionElements.values || []).find((v) => v.$type === type);
  }

  function ensureExtensions(element) {
    const bo = element.businessObject;
    if (!bo.extensionElements) {
      modeling().updateProperties(element, { extensionElements: moddle().create('bpmn:ExtensionElements', { values: [] }) });
    }
    return bo.extensionElements;
  }

  function getProperty(bo, name) {
    const list = extension(bo, 'spiffworkflow:Properties');
    const found = list && (list.properties || []).find((p) => p.name === name);
    return found ? found.value : '';
  }

  function setProperty(element, name, value) {
    const extensions = ensureExtensions(element);
    let list = extension(element.businessObject, 'spiffworkflow:Properties');
    if (!list) {
      list = moddle().create('spiffworkflow:Properties', { properties: [] });
      modeling().updateModdleProperties(element, extensions, { values: [...extensions.values, list] });
    }
    const others = (list.properties || []).filter((p) => p.name !== name);
    const kept = value ? [...others, moddle().create('spiffworkflow:Property', { name, value })] : others;
    modeling().updateModdleProperties(element, list, { properties: kept });
  }

  function setBody(element, type, value) {
    const extensions = ensureExtensions(element);
    const others = extensions.values.filter((v) => v.$type !== type);
    const kept = value ? [...others, moddle().create(type, { value })] : others;
    modeling().updateModdleProperties(element, extensions, { values: kept });
  }

  function field(label, control, hint) {
    const wrap = document.createElement('label');
    wrap.textContent = label;
    wrap.appendChild(control);
    if (hint) {
      const note = document.createElement('span');
      note.className = hint.warn ? 'warn' : 'hint';
      note.textContent = hint.text;
      wrap.appendChild(note);
    }
    props.appendChild(wrap);
    return control;
  }

  function input(value, onChange, multiline) {
    const control = document.createElement(multiline ? 'textarea' : 'input');
    if (multiline) control.rows = 6;
    control.value = value || '';
    control.addEventListener('change', () => onChange(control.value.trim()));
    return control;
  }

  function select(options, value, onChange) {
    const control = document.createElement('select');
    for (const [optionValue, label] of [['', '（未设置）'], ...options]) {
      const option = document.createElement('option');
      option.value = optionValue;
      option.textContent = label;
      option.selected = optionValue === (value || '');
      control.appendChild(option);
    }
    control.addEventListener('change', () => onChange(control.value));
    return control;
  }

  function laneOf(element) {
    let parent = element.parent;
    while (parent && parent.type !== 'bpmn:Lane' && parent.type !== 'bpmn:Participant') parent = parent.parent;
    const lanes = (element.businessObject.lanes || []);
    return lanes.length ? lanes[0].name : (parent && parent.type === 'bpmn:Lane' ? parent.businessObject.name : null);
  }

  function roleHint(name) {
    const role = ctx.lane_roles[(name || '').trim()];
    return role ? { text: '对应角色：' + (ctx.role_names[role] || role) } : { warn: true, text: '此泳道名不对应任何角色（应为 ' + Object.keys(ctx.lane_roles).filter((k) => /[^a-z_]/.test(k)).join('、') + '）' };
  }

  const TYPE_NAMES = {
    'bpmn:UserTask': '人工任务', 'bpmn:Task': '任务', 'bpmn:ScriptTask': '脚本任务', 'bpmn:BusinessRuleTask': '业务规则任务',
    'bpmn:ServiceTask': '服务任务', 'bpmn:StartEvent': '开始事件', 'bpmn:EndEvent': '结束事件',
    'bpmn:IntermediateCatchEvent': '中间捕获事件', 'bpmn:IntermediateThrowEvent': '中间抛出事件',
    'bpmn:BoundaryEvent': '边界事件', 'bpmn:ExclusiveGateway': '排他网关', 'bpmn:ParallelGateway': '并行网关',
    'bpmn:InclusiveGateway': '包容网关', 'bpmn:EventBasedGateway': '事件网关', 'bpmn:SequenceFlow': '顺序流',
    'bpmn:Lane': '泳道', 'bpmn:Participant': '泳池', 'bpmn:DataObjectReference': '数据对象', 'bpmn:TextAnnotation': '注释',
  };

  function render(element) {
    props.replaceChildren();
    if (!element || element.type === 'bpmn:Process' || element.type === 'bpmn:Collaboration') {
      props.innerHTML = '<p class="muted">选中流程图中的元素以编辑其属性。</p>';
      return;
    }
    const bo = element.businessObject;
    const title = document.createElement('h3');
    title.textContent = (TYPE_NAMES[element.type] || element.type.replace('bpmn:', '')) + ' · ' + element.id;
    props.appendChild(title);
    field('名称', input(bo.name, (v) => { modeling().updateProperties(element, { name: v || undefined }); render(element); }),
      element.type === 'bpmn:Lane' ? roleHint(bo.name) : null);

    if (element.type === 'bpmn:UserTask') {
      const lane = laneOf(element);
      const hint = lane ? roleHint(lane) : { warn: true, text: '不在任何泳道中' };
      props.appendChild(Object.assign(document.createElement('p'), { className: hint.warn ? 'warn' : 'hint', textContent: '泳道：' + (lane || '无') + '；' + hint.text }));
      field('表单', select(formFiles().map((f) => [f, f]), getProperty(bo, 'form'), (v) => setProperty(element, 'form', v)),
        { text: '表单文件在“表单”页编辑或新建' });
      field('办理人表达式（可选）', input(getProperty(bo, 'assignee'), (v) => setProperty(element, 'assignee', v)),
        { text: '只给一个人办理时填写，如专家评审中的 expert' });
    }
    const timer = (bo.eventDefinitions || []).find((d) => d.$type === 'bpmn:TimerEventDefinition');
    if (timer) {
      const kind = ['timeDate', 'timeDuration', 'timeCycle'].find((k) => timer[k]) || 'timeDate';
      const kindControl = field('定时类型', select([['timeDate', '到某一时刻（timeDate）'], ['timeDuration', '经过一段时间（timeDuration）'], ['timeCycle', '周期（timeCycle）']], kind, () => {}));
      field('定时表达式', input(timer[kind] && timer[kind].body, (v) => {
        const chosen = kindControl.value || 'timeDate';
        const update = { timeDate: undefined, timeDuration: undefined, timeCycle: undefined };
        update[chosen] = moddle().create('bpmn:FormalExpression', { body: v });
        modeling().updateModdleProperties(element, timer, update);
      }), { text: '变量名（如 city_deadline）或带引号的 ISO 值，如 "P5D"' });
    }
    const message = (bo.eventDefinitions || []).find((d) => d.$type === 'bpmn:MessageEventDefinition');
    if (message) {
      const definitions = modeler.getDefinitions().rootElements.filter((e) => e.$type === 'bpmn:Message');
      field('消息', select(definitions.map((m) => [m.id, m.name + '（' + m.id + '）']), message.messageRef && message.messageRef.id,
        (v) => modeling().updateModdleProperties(element, message, { messageRef: definitions.find((m) => m.id === v) })),
        { text: '服务发送的消息：' + ctx.messages.join('、') });
    }
    if (element.type === 'bpmn:SequenceFlow' && /Gateway$/.test(element.source.type)) {
      field('条件', input(bo.conditionExpression && bo.conditionExpression.body, (v) => modeling().updateProperties(element, {
        conditionExpression: v ? moddle().create('bpmn:FormalExpression', { body: v }) : undefined })),
        { text: 'Python 表达式，如 decision == "recommend"；默认流不需要条件' });
    }
    if (element.type === 'bpmn:BusinessRuleTask') {
      const decision = extension(bo, 'spiffworkflow:CalledDecisionId');
      field('DMN 决策 id', input(decision && decision.value, (v) => setBody(element, 'spiffworkflow:CalledDecisionId', v)),
        { text: '决策表在“规则”页编辑' });
    }
    if (element.type === 'bpmn:ScriptTask') {
      field('脚本', input(bo.script, (v) => modeling().updateProperties(element, { script: v, scriptFormat: 'python' }), true),
        { text: '受限的 Python：只能用流程变量和允许的函数' });
    }
  }

  modeler.on('selection.changed', ({ newSelection }) => render(newSelection[0]));
  modeler.on('element.changed', ({ element }) => {
    const selected = modeler.get('selection').get();
    if (selected.length === 1 && selected[0] === element && element.type === 'bpmn:Lane') render(element);
  });

  // -- forms ----------------------------------------------------------------------------
  const formSelect = document.getElementById('form-file');
  let formEditor = null;
  let currentForm = null;

  function refreshFormList(selected) {
    formSelect.replaceChildren(...formFiles().map((name) => Object.assign(document.createElement('option'), { value: name, textContent: name, selected: name === selected })));
  }

  async function openForm(name) {
    currentForm = name;
    if (!formEditor) {
      formEditor = new FormEditor.FormEditor({ container: '#form-editor' });
      window.greenlist.formEditorZh.localize(formEditor, document.getElementById('form-editor'));
    }
    await formEditor.importSchema(JSON.parse(ctx.files['forms/' + name]));
  }

  refreshFormList();
  formSelect.addEventListener('change', () => openForm(formSelect.value));
  document.querySelector('[data-tab="forms"]').addEventListener('click', () => { if (!currentForm && formSelect.value) openForm(formSelect.value); });
  document.getElementById('save-form').addEventListener('click', () => {
    if (!currentForm) return;
    saveFile('forms/' + currentForm, JSON.stringify(formEditor.saveSchema(), null, 2), document.getElementById('form-status'))
      .then((ok) => { if (ok && currentForm) render(modeler.get('selection').get()[0]); });
  });
  document.getElementById('new-form').addEventListener('click', async () => {
    const name = document.getElementById('new-form-name').value.trim();
    if (!/^[\w.-]+\.form\.json$/.test(name)) { show('error', '表单文件名应以 .form.json 结尾，只含字母、数字、点、横线、下划线'); return; }
    const schema = { type: 'default', id: 'Form_' + name.replace(/\W/g, '_'), components: [] };
    if (await saveFile('forms/' + name, JSON.stringify(schema, null, 2), document.getElementById('form-status'))) {
      refreshFormList(name);
      openForm(name);
    }
  });

  // -- rules ----------------------------------------------------------------------------
  const SETTINGS_FILE = 'processes/settings.json';
  const ruleSelect = document.getElementById('rule-file');
  const ruleText = document.getElementById('rule-text');
  // The DMN rules, and the round settings the diagram reads (processes/settings.json), edited as text.
  const rules = Object.keys(ctx.files).filter((n) => n.endsWith('.dmn') || n === SETTINGS_FILE);
  ruleSelect.replaceChildren(...rules.map((name) => Object.assign(document.createElement('option'), { value: name, textContent: name })));
  const openRule = () => { ruleText.value = ctx.files[ruleSelect.value] || ''; };
  ruleSelect.addEventListener('change', openRule);
  if (rules.length) openRule();
  document.getElementById('save-rule').addEventListener('click', () => saveFile(ruleSelect.value, ruleText.value, document.getElementById('rule-status')));

  // -- upload ---------------------------------------------------------------------------
  document.getElementById('upload-button').addEventListener('click', async () => {
    const file = document.getElementById('upload-file').files[0];
    const status = document.getElementById('upload-status');
    if (!file) { status.textContent = '请选择文件'; return; }
    const name = (file.name.endsWith('.json') && !['categories.json', 'settings.json'].includes(file.name) ? 'forms/' : 'processes/') + file.name;
    if (!(await saveFile(name, await file.text(), status))) return;
    if (name.startsWith('forms/')) refreshFormList(currentForm);
    if (name === ctx.main) {
      document.querySelector('[data-tab="diagram"]').click();  // fitting needs the canvas on screen
      await modeler.importXML(ctx.files[name]);
      viewer.fit(modeler, container);
    }
  });

  // The categories tab (category-editor.js) saves through the same revision and reads the diagram's tasks.
  window.greenlist.draft = { ctx, saveFile, modeler, formFiles, getProperty };

  // -- validation, rehearsal, deployment -------------------------------------------------
  const problemList = document.getElementById('problems');
  let marked = [];

  async function validate() {
    if (dirty && !(await saveDiagram())) return null;
    const { status, body } = await api('POST', base + '/validate');
    if (status !== 200) { show('error', explain(body)); return null; }
    const diagram = viewer.diagram(modeler);
    for (const id of marked) { diagram.canvas.removeMarker(id, 'gl-problem'); }
    diagram.overlays.remove({ type: 'problem' });
    marked = [];
    problemList.replaceChildren();
    if (body.valid) {
      problemList.innerHTML = '<li class="ok">校验通过，可以部署。</li>';
      return body;
    }
    for (const problem of body.problems) {
      const item = document.createElement('li');
      item.textContent = problem.file + (problem.element ? '：' + problem.element : '') + '：' + problem.message;
      const element = problem.element_id && diagram.registry.get(problem.element_id);
      if (element) {
        diagram.mark(element.id, 'gl-problem');
        marked.push(element.id);
        diagram.badge(element.id, { top: -12, left: -6 }, '<span class="gl-problem-badge" title="' + escapeHtml(problem.message) + '">!</span>', 'problem');
        item.addEventListener('click', () => { modeler.get('selection').select(element); diagram.canvas.scrollToElement(element); });
      }
      problemList.appendChild(item);
    }
    return body;
  }
  document.getElementById('validate').addEventListener('click', validate);

  const STATUS = { same: '结果相同', different: '结果不同', stuck: '卡住', running: '进行中', skipped: '跳过' };
  document.getElementById('rehearse').addEventListener('click', async () => {
    const target = document.getElementById('rehearsal');
    if (dirty && !(await saveDiagram())) return;
    target.textContent = '正在预演…';
    const round = document.getElementById('rehearse-round').value;
    const { status, body } = await api('POST', base + '/rehearse', { round: round ? Number(round) : null });
    if (status !== 200) { target.innerHTML = explain(body); return; }
    const rows = (list) => list.map((r) => '<tr><td>' + escapeHtml(r.label) + '</td><td class="status-' + r.status + '">' + STATUS[r.status] +
      '</td><td>' + escapeHtml(r.expected || '—') + '</td><td>' + escapeHtml(r.rehearsed || '—') + '</td><td>' +
      escapeHtml(r.diverged_name ? r.diverged_name + '（' + r.diverged_at + '）' : '') + escapeHtml(r.reason ? ' ' + r.reason : '') +
      escapeHtml((r.new_steps || []).length ? ' 经过新增环节：' + r.new_steps.join('、') : '') + '</td></tr>').join('');
    const table = (title, list) => '<h3>' + title + '</h3><table class="list"><thead><tr><th>路径</th><th>结论</th><th>原结果</th><th>预演结果</th><th>分歧环节与说明</th></tr></thead><tbody>' + rows(list) + '</tbody></table>';
    target.innerHTML = findings(body) + coverage(body.coverage) + table('标准路径', body.standard) +
      (body.round_id ? table('批次真实申报', body.recorded) : '') + (body.ranking ? rankingPreview(body.ranking) : '');
  });

  // The round's reviewed applications ranked by the draft's priority rule (priority.dmn) beside today's ranking.
  function rankingPreview(ranking) {
    const score = (value) => (value == null ? '—' : Number(value).toFixed(2));
    const row = (r) => '<tr' + (r.rank !== r.rank_before ? ' class="changed"' : '') + '><td>' + r.rank + '</td><td>' + r.rank_before +
      '</td><td>' + escapeHtml(r.unit_name) + '</td><td>' + escapeHtml(r.city) + '</td><td>' + score(r.average_score) + '</td><td>' +
      escapeHtml(r.signals.map((s) => s.label).join('、') || r.problem || '—') + '</td><td>' + r.priority_weight + ' / ' + r.priority_weight_before + '</td></tr>';
    const parts = ranking.categories.filter((c) => c.rows.length).map((c) => '<h4>' + escapeHtml(c.name) +
      (c.changed ? '：' + c.changed + ' 个申报排名变化' : '：排名不变') + '</h4><table class="list ranking-preview" data-category="' + escapeHtml(c.key) +
      '"><thead><tr><th>按草稿排名</th><th>现行排名</th><th>申报单位</th><th>市州</th><th>专家平均分</th><th>优先推荐情形（草稿）</th><th>权重之和（草稿 / 现行）</th></tr></thead><tbody>' +
      c.rows.map(row).join('') + '</tbody></table>');
    return '<h3 id="ranking-preview">排名预演：按草稿的优先推荐情形决策表重新排名</h3>' +
      (parts.length ? parts.join('') : '<p class="muted">所选批次还没有专家评审完成的申报。</p>');
  }

  const KIND = { required_field: '新增必填字段', exclusion: '新增排除情形' };
  function findings(body) {
    if (!body.findings || !body.findings.length) return '';
    const items = body.findings.map((f) => '<li>' + KIND[f.kind] + '：' + escapeHtml(f.step + ' —「' + f.label + '」（' + f.key + '）') +
      (body.round_id ? escapeHtml(f.unanswered_by.length ? '；从未回答此项的真实申报：' + f.unanswered_by.join('、') : '；所选批次的申报均未走到此环节') : '') + '</li>');
    return '<h3 id="rehearsal-findings">需要注意</h3><ul>' + items.join('') + '</ul>';
  }
  function coverage(cov) {
    if (!cov) return '';
    const missing = cov.steps_not_covered.map((s) => s.name).join('、');
    return '<p id="rehearsal-coverage">标准路径覆盖类别：' + escapeHtml(cov.categories.map((c) => c.name).join('、')) + '；环节 ' +
      (cov.steps - cov.steps_not_covered.length) + '/' + cov.steps + (missing ? escapeHtml('，未覆盖：' + missing) : '') + '</p>';
  }

  document.getElementById('deploy').addEventListener('click', async () => {
    const note = document.getElementById('deploy-note').value.trim();
    if (!note) { show('error', '请填写部署说明：写明这一版改了什么'); return; }
    const checked = await validate();
    if (!checked || !checked.valid) { show('error', '草稿未通过校验，请先修正标出的问题'); return; }
    if (!window.confirm('部署后将生成不可修改的新版本；正在办理的申报仍按原版本完成。确定部署？')) return;
    const { status, body } = await api('POST', base + '/deploy', { note });
    if (status === 201) {
      show('success', '已部署为第 ' + body.number + ' 版。<a href="/admin/versions">返回流程管理</a>，可用它新建下一年度批次。');
      document.getElementById('draft-state').firstChild.textContent = '已部署 · 第 ';
    } else {
      show('error', explain(body));
    }
  });
})();
