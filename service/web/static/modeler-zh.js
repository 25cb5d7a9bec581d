// Chinese for the bpmn-js modeler's palette, context pad and change-type menu (bpmn-js ships English;
// anything not listed here stays as bpmn-js wrote it).
(function () {
  'use strict';
  const ZH = {
    'Activate hand tool': '抓手工具（拖动画布）', 'Activate lasso tool': '框选工具',
    'Activate create/remove space tool': '插入/删除空白', 'Activate global connect tool': '连线工具',
    'Create start event': '添加开始事件', 'Create end event': '添加结束事件', 'Create task': '添加任务',
    'Create gateway': '添加网关', 'Create intermediate/boundary event': '添加中间/边界事件',
    'Create data object reference': '添加数据对象', 'Create data store reference': '添加数据存储',
    'Create expanded sub-process': '添加子流程', 'Create pool/participant': '添加泳池', 'Create group': '添加分组',
    'Append task': '追加任务', 'Append end event': '追加结束事件', 'Append gateway': '追加网关',
    'Append intermediate/boundary event': '追加中间事件', 'Append timer intermediate catch event': '追加定时事件',
    'Append message intermediate catch event': '追加消息事件', 'Add text annotation': '添加注释',
    'Change element': '更改类型', 'Delete': '删除', 'Connect to other element': '连接到其他元素',
    'Connect using association': '用关联连接', 'Add lane above': '在上方添加泳道', 'Add lane below': '在下方添加泳道',
    'Divide into two lanes': '分为两条泳道', 'Divide into three lanes': '分为三条泳道',
    'Search in diagram': '在图中搜索', 'Align elements': '对齐', 'Distribute elements horizontally': '水平均分',
    'Distribute elements vertically': '垂直均分', 'Toggle non-interrupting': '切换为非中断',
    'Task': '任务', 'User task': '人工任务', 'Script task': '脚本任务', 'Business rule task': '业务规则任务（DMN）',
    'Service task': '服务任务', 'Manual task': '手工任务', 'Send task': '发送任务', 'Receive task': '接收任务',
    'Call activity': '调用活动', 'Sub-process (collapsed)': '子流程（折叠）', 'Sub-process (expanded)': '子流程（展开）',
    'Start event': '开始事件', 'End event': '结束事件', 'Intermediate throw event': '中间抛出事件',
    'Message intermediate catch event': '消息捕获事件', 'Timer intermediate catch event': '定时捕获事件',
    'Message boundary event': '消息边界事件', 'Timer boundary event': '定时边界事件（期限）',
    'Timer boundary event (non-interrupting)': '定时边界事件（不中断）', 'Message end event': '消息结束事件',
    'Exclusive gateway': '排他网关', 'Parallel gateway': '并行网关', 'Inclusive gateway': '包容网关',
    'Event-based gateway': '事件网关', 'Complex gateway': '复杂网关', 'Sequence flow': '顺序流',
    'Default flow': '默认流', 'Conditional flow': '条件流', 'Parallel multi-instance': '并行多实例',
    'Sequential multi-instance': '顺序多实例', 'Loop': '循环', 'Data object reference': '数据对象',
    'Data store reference': '数据存储', 'Search': '搜索', 'No matching entries found.': '没有匹配的选项',
  };
  function translate(template, replacements) {
    const text = ZH[template] || template;
    return text.replace(/{([^}]+)}/g, (_, key) => (replacements && key in replacements ? replacements[key] : '{' + key + '}'));
  }
  window.MODELER_ZH = { translate: ['value', translate] };
})();
