// Chinese for the form editor of the process draft page (@bpmn-io/form-js 1.23.0, form-editor.umd.js).
// form-js 1.23 has no translation service: its palette, canvas hints and properties panel are English
// literals in its components (the bundled @bpmn-io/properties-panel takes a `translate` prop, but the form
// editor never passes one, and no module or config option reaches it). Two things are done instead:
//  1. the component types' own names (palette, the panel's header) and the labels a new field gets when
//     dragged in are set on the form field definitions, before the first schema is imported (the palette
//     reads them once, when it is first drawn; its search then finds the Chinese names too);
//  2. every other word is rewritten in the DOM after each render: a MutationObserver on the container
//     changes text nodes in place (never replacing a node Preact owns; Preact writes into a text node only
//     when its own value changes, and then the observer rewrites it again), and its titles, placeholders,
//     aria-labels and alt texts.
// After an upgrade of form-js, tests/browser/test_names__drawn_by_scripts.py says which words are new.
(function () {
  'use strict';
  const greenlist = window.greenlist = window.greenlist || {};

  // Component types, by their English names in form-js (config.name, config.label or the default label).
  const TYPES = {
    'Text field': '文本框', 'Text area': '多行文本', 'Number': '数字', 'Date time': '日期时间', 'Checkbox': '复选框',
    'Checkbox group': '复选框组', 'Radio group': '单选组', 'Select': '下拉选择', 'Tag list': '标签选择',
    'Text view': '文本说明', 'Image view': '图片', 'Table': '表格', 'HTML view': '网页代码', 'Document preview': '文档预览',
    'Spacer': '空白', 'Separator': '分隔线', 'Group': '分组', 'Dynamic list': '动态列表', 'iFrame': '内嵌网页',
    'Button': '按钮', 'Expression': '表达式', 'File picker': '文件选择', 'Form': '表单',
  };

  const WORDS = Object.assign({}, TYPES, {
    // palette and canvas
    'Components': '组件', 'Search components': '搜索组件', 'Clear content': '清除', 'No components found.': '未找到组件。',
    'Input': '输入', 'Selection': '选择', 'Presentation': '展示', 'Containers': '容器', 'Action': '操作',
    'Build your form': '开始设计表单', 'Drag and drop components here to start designing.': '把左侧的组件拖到这里开始设计。',
    'Drag and drop components here.': '把组件拖到这里。', 'Use the preview window to test your form.': '可在预览中试填表单。',
    'Text view is empty': '文本说明为空', 'Html view is empty': '网页代码为空', 'Expression is empty': '表达式为空',
    'Remove form field': '删除字段',
    'Supports markdown and templating.': '支持标记文本格式与模板。',
    'Supports HTML, styling, and templating. Styles are automatically scoped to the HTML component.':
      '支持网页代码、样式与模板，样式只作用于本组件。',
    'Not all external sources can be displayed in the iFrame. Read more about it in the': '并非所有外部网页都能内嵌显示，详见',
    'X-FRAME-OPTIONS documentation': '网页嵌入限制说明', 'This is an image placeholder': '图片占位',
    'Nothing to show.': '暂无数据。', 'Browse': '浏览', 'No files selected': '未选择文件', 'Document.pdf': '文档.pdf',
    'Column 1': '第 1 列', 'Column 2': '第 2 列', 'Column 3': '第 3 列', 'ID': '编号', 'Name': '名称', 'Date': '日期',
    'Time': '时间', 'Submit': '提交', 'Reset': '重置', 'Static': '固定选项', 'Input data': '输入数据',
    // properties panel: frame
    'Select a form field to edit its properties.': '选择一个字段以编辑其属性。',
    'Multiple form fields are selected. Select a single form field to edit its properties.': '已选择多个字段，请只选择一个字段以编辑其属性。',
    'Open documentation': '打开说明文档', 'Toggle section': '展开/收起', 'Section contains an error': '此分组有错误',
    'Section contains edits': '此分组已修改', 'Toggle list item': '展开/收起', 'Delete item': '删除此项',
    'Create new list item': '添加一项', 'Create': '添加', 'Add': '添加', '<empty>': '（空）', '<none>': '（无）',
    'Open pop-up editor': '在弹出窗口中编辑', 'Opened in editor': '已在编辑窗口中打开', 'Opened in popup': '已在弹出窗口中打开',
    'Close popup': '关闭弹出窗口', 'Save and close': '保存并关闭', 'FEEL expression is mandatory': '此处必须填写表达式',
    'Click to set a dynamic value with FEEL expression': '点击改用表达式（动态值）',
    'Click to remove dynamic value with FEEL expression': '点击取消表达式，改填固定值',
    'Unparsable FEEL expression.': '无法解析的表达式。', 'Syntax Error': '语法错误', 'JSON contains errors': '格式错误',
    // properties panel: groups
    'General': '常规', 'Condition': '条件', 'Layout': '布局', 'Appearance': '外观', 'Validation': '校验',
    'Serialization': '数据格式', 'Constraints': '限制', 'Options source': '选项来源', 'Static options': '固定选项',
    'Custom properties': '自定义属性', 'Security attributes': '安全属性', 'Header items': '表头列',
    'Headers source': '表头来源', 'Pagination': '分页', 'Content': '内容', 'Data source': '数据来源',
    'Form submission': '表单提交', 'Dynamic options': '动态选项',
    // properties panel: entries
    'Field label': '字段标签', 'Field description': '字段说明', 'Key': '键名（数据字段名）', 'Default value': '默认值',
    'Required': '必填', 'Read only': '只读', 'Disabled': '禁用', 'Minimum length': '最小长度', 'Maximum length': '最大长度',
    'Minimum': '最小值', 'Maximum': '最大值', 'Regular expression pattern': '正则表达式', 'Columns': '列宽',
    'Column': '列', 'Text': '文本', 'Label': '标签', 'Group label': '分组标签', 'Table label': '表格标题',
    'Date label': '日期标签', 'Time label': '时间标签', 'Title': '标题', 'Type': '类型', 'Subtype': '子类型',
    'Value': '值', 'Path': '路径', 'Height': '高度', 'URL': '网址', 'Prefix': '前缀', 'Suffix': '后缀',
    'Searchable': '可搜索', 'Increment': '步长', 'Decimal digits': '小数位数', 'Output as string': '以字符串输出',
    'Allows arbitrary precision values': '可保存任意精度的数值', 'Use 24h': '24 小时制', 'Time format': '时间格式',
    'Time interval': '时间间隔', 'Disallow past dates': '不允许选择过去的日期', 'Date & Time': '日期和时间',
    'UTC offset': '带时区偏移', 'UTC normalized': '转换为标准时间', 'No timezone': '不带时区', 'Auto': '自动',
    'Top': '顶部', 'Center': '居中', 'Bottom': '底部', 'Vertical alignment': '垂直对齐', 'Show outline': '显示边框',
    'Repeatable': '可重复', 'Allow add/delete items': '允许添加/删除项', 'Default number of items': '默认项数',
    'Disable collapse': '不折叠', 'Number of non-collapsing items': '不折叠的项数', 'Number of rows per page': '每页行数',
    'Checked': '已勾选', 'Not checked': '未勾选', 'Custom': '自定义', 'Email': '电子邮箱', 'Phone': '电话号码',
    'Validation pattern': '校验规则', 'Custom regular expression': '自定义正则表达式', 'Custom error message': '自定义错误提示',
    'The error message to display when the input does not match the regular expression.': '输入不符合正则表达式时显示的错误提示。',
    'Hide if': '隐藏条件', 'Deactivate if': '停用条件', 'Condition under which the field is hidden': '满足此条件时隐藏该字段',
    'Condition under which the field is deactivated': '满足此条件时停用该字段', 'Compute on': '计算时机',
    'Value changes': '值变化时', 'Target value': '目标值', 'Options expression': '选项表达式',
    'Input values key': '选项数据键名', 'Binds to a form variable': '对应表单中的一个数据字段',
    'Define which input property to populate the values from': '指定从哪个输入数据字段读取选项',
    'Define an expression to populate the options from.': '用表达式给出选项。',
    'Define an expression to calculate the value of this field': '用表达式计算本字段的值',
    'The expression may result in an array of simple values or alternatively follow this schema:':
      '表达式的结果可以是简单值的数组，也可以按以下结构：',
    'The input property may be an array of simple values or alternatively follow this schema:':
      '输入数据可以是简单值的数组，也可以按以下结构：',
    'Where the child variables of this component are pathed to.': '本组件下各字段的数据存放的路径。',
    'Routes the children of this component into a form variable, may be left empty to route at the root level.':
      '把本组件下各字段的数据放入一个表单数据字段；留空则放在最外层。',
    'Routes the children of this component into a form variable.': '把本组件下各字段的数据放入一个表单数据字段。',
    'Image source': '图片来源', 'Alternative text': '替代文字', 'Descriptive text for screen reader accessibility.': '供读屏软件朗读的说明文字。',
    'Expression or static value (link/data URI)': '表达式或固定值（链接或数据地址）',
    'Link referring to a hosted image, or use a data URI directly to embed image data into the form.':
      '图片的网址，或直接嵌入图片数据的数据地址。',
    'Height of the container in pixels.': '区域高度（像素）。', 'Supported file formats': '允许的文件格式',
    'Upload multiple files': '允许上传多个文件', 'A comma-separated list of': '以逗号分隔的',
    'file type specifiers': '文件类型列表', 'Version tag': '版本标记', 'Version tag by which this form can be referenced.':
      '引用本表单时可使用的版本标记。',
    'Add properties directly to the form schema, useful to configure functionality in custom-built task applications and form renderers.':
      '直接写入表单定义的属性，供自建的办理程序或表单渲染程序使用。',
    'Make this field read-only when it cannot be edited by the end-user, but its content is important for them to see. Its data will still be submitted.':
      '用户不能修改但需要看到内容时设为只读；其数据仍会提交。',
    'Disable this field when it should not be interactive for end-users. Its data will not be submitted. This setting takes precedence over read-only.':
      '用户不应操作此字段时设为禁用；其数据不会提交。此项优先于“只读”。',
    'Use a unique "key" to link the form element and the related input/output data. When dealing with nested data, break it down in the user task\'s input mapping before using it.':
      '键名须唯一，用来把表单字段与流程中的数据对应起来。嵌套的数据请先在人工任务的输入映射中拆开再使用。',
    '"List of items" defines a constant, predefined set of form options.\n\n"Expression" defines options that are populated from a FEEL expression.':
      '“逐项填写”：预先列出固定的各列。\n\n“表达式”：由表达式算出各列。',
    '"Static" defines a constant, predefined set of form options.\n\n"Input data" defines options that are populated dynamically, adjusting based on variable data for flexible responses to different conditions or inputs.\n\n"Expression" defines options that are populated from a FEEL expression.':
      '“固定选项”：预先列出固定的选项。\n\n“输入数据”：选项取自流程中的数据，随数据变化。\n\n“表达式”：由表达式算出选项。',
    'The built-in phone validation pattern is based on the E.164 standard with no spaces. Ex: +491234567890':
      '内置的电话号码校验采用国际电话号码格式，不含空格，例如 +8613912345678。',
    'List of items': '逐项填写', 'Learn more': '了解更多', 'documentation': '说明文档', 'Learn more in our': '详见', 'Document reference': '文档引用', 'Max height of preview container': '预览区域最大高度',
    'Documents whose height exceeds the defined value in pixels will be vertically scrollable': '高度超过此值（像素）的文档可上下滚动',
    'A source is a JSON object containing metadata for a document or an array of documents.': '来源是描述一个文档的数据对象，或这样的对象组成的数组。',
    'Additional details are optional. The expected format is as follows:': '其他信息可不填。格式如下：',
    'Each entry must include a document ID, name, and MIME type.': '每一项须包含文档编号、名称和文件类型。',
    'When using Camunda Tasklist UI, additional document reference attributes are automatically handled. Modifying the document reference may affect the document preview functionality.':
      '文档引用的其他属性由办理程序自动处理；修改文档引用可能影响文档预览。',
    'The document data source is required.': '必须填写文档的数据来源。',
    'Specify the source from which to populate the table': '指定表格数据的来源',
    'Enter a form input variable that contains the data for the table or define an expression to populate the data dynamically.':
      '填写含表格数据的表单数据字段，或用表达式动态给出数据。',
    'Specify an expression to populate column items': '用表达式给出各列',
    'Enter a HTTPS URL to a source or populate it dynamically via a template or an expression (e.g., to pass a value from the variable).':
      '填写加密连接的网址，或用模板、表达式动态给出（例如取自某个数据字段）。',
    'Please make sure that the URL is safe as it might impose security risks.': '请确认该网址安全可信，否则可能带来安全风险。',
    'Allow the iframe to access more functionality of your browser, details regarding the various options can be found in the':
      '允许内嵌网页使用浏览器的更多功能，各选项的说明见',
    'MDN iFrame documentation.': '内嵌网页说明文档。',
    'These options can incur security risks, especially if used in combination with dynamic links. Ensure that you are aware of them, that you trust the source url and only enable what your use case requires.':
      '这些选项可能带来安全风险，与动态链接同用时尤甚。请确认来源网址可信，只开启确实需要的选项。',
    'Script execution': '运行脚本', 'Allow same origin': '视为同源', 'Open in fullscreen': '全屏显示', 'Geolocation': '获取位置',
    'Camera access': '使用摄像头', 'Microphone access': '使用麦克风', 'Forms submission': '提交表单',
    'Open modal windows': '打开对话框', 'Open popups': '打开弹出窗口', 'Top level navigation': '跳转整个页面',
    'Storage access by user': '访问浏览器存储',
    // properties panel: validation messages
    'Must not be empty.': '不能为空。', 'Must not be empty': '不能为空', 'Must be unique.': '不能与其他字段重复。',
    'Must not contain spaces.': '不能含空格。', 'Must be a valid QName.': '须为合法的名称（字母开头，可含字母、数字、下划线）。',
    'Must be a variable or a dot separated path.': '须为数据字段名或以点分隔的路径。',
    'Must be a variable or a dot-separated path': '须为数据字段名或以点分隔的路径',
    'Must be empty, a variable or a dot-separated path': '须为空、数据字段名或以点分隔的路径',
    'Must not conflict with other key/path assignments.': '不能与其他键名或路径冲突。',
    'Must not cause two binding paths to collide': '不能使两个数据路径冲突', 'Must not be a prohibited path.': '不能使用保留的路径。',
    'Must not contain numerical path segments.': '路径中不能有纯数字的段。', 'Must not contain prefix.': '不能含前缀。',
    'Should be a valid number': '须为有效数字', 'Should be a valid number.': '须为有效数字。',
    'Should be an integer.': '须为整数。', 'Should be greater than or equal to zero.': '须大于或等于 0。',
    'Should be greater than zero.': '须大于 0。', 'Must be number': '须为数字', 'A number is required.': '须填写数字。',
    'Value must be a number.': '值须为数字。',
  });

  // A dictionary's own entry (a label such as 'constructor' must not find Object's methods), or undefined.
  function lookup(dictionary, key) {
    return typeof key === 'string' && Object.hasOwn(dictionary, key) ? dictionary[key] : undefined;
  }

  // The Chinese name of each component type by its key ('textfield': '文本框'), filled by localizeFieldTypes.
  const TYPE_NAMES = {};

  // Words built from parts: the palette buttons' titles, the list headers' item counts, the pop-up editor's
  // title ('<type key> / <entry label>').
  const PATTERNS = [
    [/^([a-z]+) \/ (.+)$/, (whole, type, label) => (Object.hasOwn(TYPE_NAMES, type)
      ? TYPE_NAMES[type] + ' / ' + (lookup(WORDS, label) || label) : whole)],
    [/^Create an? (.+) element$/, (_, type) => '添加' + (lookup(TYPES, type) || type)],
    [/^List contains (\d+) items?$/, (_, count) => '共 ' + count + ' 项'],
    [/^Expression for '(.+)'$/, (_, key) => '表达式，结果存入“' + key + '”'],
    [/^New value exceeds the maximum of (\d+) columns per row$/, (_, count) => '超出每行最多 ' + count + ' 列的限制'],
    [/^Maximum (\d+) fields per row are allowed$/, (_, count) => '每行最多放 ' + count + ' 个字段'],
    [/^Remove (.+)$/, (_, label) => '删除“' + label + '”'],
    [/^(\d+) files selected$/, (_, count) => '已选择 ' + count + ' 个文件'],
  ];

  function translated(text) {
    const key = text.trim();
    if (!key) return null;
    const word = lookup(WORDS, key);
    if (word) return text.replace(key, word);
    for (const [pattern, replace] of PATTERNS) {
      if (pattern.test(key)) return text.replace(key, key.replace(pattern, replace));
    }
    return null;
  }

  // The canvas draws the fields with the viewer's own components: their words ('Select', 'Search',
  // 'yyyy/mm/dd') are the ones form-adapter.js puts into Chinese on the task pages ('Select' is 请选择 there,
  // where the palette's type of the same name is 下拉选择).
  const PANELS = '.fjs-palette, .fjs-properties-container';

  function translatedAt(element, text) {
    const key = text.trim();
    const viewer = element.closest(PANELS) ? null : greenlist.formAdapter.localizedPlaceholder(key);
    return viewer ? text.replace(key, viewer) : translated(text);
  }

  // What the administrator typed is shown as it is: CodeMirror's editors (labels, expressions, templates)
  // and the selected field's own label in the panel's header. CodeMirror's own attributes are left alone too:
  // it watches them and would write its English back at once.
  const OWN_TEXT = '.cm-editor, .bio-properties-panel-header-label';
  const ATTRIBUTES = ['title', 'placeholder', 'aria-label', 'alt'];

  function localizeNow(container) {
    const walker = document.createTreeWalker(container, NodeFilter.SHOW_TEXT);
    for (let node = walker.nextNode(); node; node = walker.nextNode()) {
      const parent = node.parentElement;
      if (!parent || parent.closest(OWN_TEXT)) continue;
      const text = translatedAt(parent, node.data);
      if (text !== null && text !== node.data) node.data = text;
    }
    for (const element of container.querySelectorAll('[title], [placeholder], [aria-label], [alt]')) {
      if (element.closest('.cm-editor')) continue;
      for (const name of ATTRIBUTES) {
        const value = element.getAttribute(name);
        const text = value && translatedAt(element, value);
        if (text && text !== value) element.setAttribute(name, text);
      }
    }
  }

  // The names form-js shows for a component type (palette, panel header) and the labels a new field gets.
  // Existing fields keep what the schema says: only what `create` adds by itself is put into Chinese.
  const DEFAULT_TEXT = Object.assign({}, WORDS, { '# Text': '# 文本', 'Value': '选项 1' });

  function chineseDefaults(value) {
    if (Array.isArray(value)) return value.map(chineseDefaults);
    if (!value || typeof value !== 'object') return value;
    const copy = Object.assign({}, value);
    for (const name of ['label', 'text', 'dateLabel', 'timeLabel']) {
      const text = lookup(DEFAULT_TEXT, copy[name]);
      if (text) copy[name] = text;
    }
    for (const name of ['values', 'columns']) {
      if (Array.isArray(copy[name])) copy[name] = chineseDefaults(copy[name]);
    }
    return copy;
  }

  function localizeFieldTypes(formEditor) {
    const formFields = formEditor.get('formFields');
    for (const type of Object.keys(formFields._formFields)) {
      const config = formFields._formFields[type].config;
      if (!config || config.greenlistLocalized) continue;
      config.greenlistLocalized = true;
      for (const name of ['name', 'label']) {
        const text = lookup(TYPES, config[name]);
        if (text) config[name] = text;
      }
      TYPE_NAMES[type] = config.name || config.label || type;
      const create = config.create;
      if (typeof create !== 'function') continue;
      config.create = function (options, ...rest) {
        const field = create.call(this, options, ...rest);
        const given = options || {};
        const localized = chineseDefaults(field);
        for (const name of Object.keys(localized)) {
          if (!(name in given)) field[name] = localized[name];
        }
        return field;
      };
    }
  }

  function observe(element) {
    localizeNow(element);
    new MutationObserver(() => localizeNow(element)).observe(element, {
      subtree: true, childList: true, characterData: true, attributes: true, attributeFilter: ATTRIBUTES,
    });
  }

  // Called once, right after `new FormEditor.FormEditor(...)` and before its first importSchema. The pop-up
  // editor of an expression or a text opens in a container of its own that form-js appends to <body>: each
  // one is watched from when it is added (only <body>'s own children are watched for that).
  function localize(formEditor, container) {
    localizeFieldTypes(formEditor);
    observe(container);
    new MutationObserver((records) => {
      for (const record of records) {
        for (const node of record.addedNodes) {
          if (node.classList && node.classList.contains('bio-properties-panel-popup-container') && !node.greenlistObserved) {
            node.greenlistObserved = true;
            observe(node);
          }
        }
      }
    }).observe(document.body, { childList: true });
  }

  greenlist.formEditorZh = { localize };
})();
