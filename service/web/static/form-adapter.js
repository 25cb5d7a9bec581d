// Every use of form-js's viewer beyond its documented API (new Form, importSchema, on, submit) is here,
// written against the version package-lock.json pins (@bpmn-io/form-js 1.23.0). After an upgrade,
// tests/browser/test_form_adapter.py (and test_pages_in_chinese.py for localize) says whether these still
// hold; the pages call only these names.
(function () {
  'use strict';
  const greenlist = window.greenlist = window.greenlist || {};

  // A viewer in `container` that commits every keystroke to its data at once (the undocumented
  // `debounce: false` option), so a click on 提交 right after typing loses nothing. Its English
  // placeholders and labels are put into Chinese (see localize).
  function create(container) {
    const form = new FormViewer.Form({ container, debounce: false });
    localize(container);
    return form;
  }

  // form-js 1.23 has no translation service: the viewer's few words of its own are literals in its
  // components (taglist and searchable select: placeholder 'Search'; select: the text 'Select'; the
  // dropdown's 'No results' / 'All values selected'; a tag's title 'Remove tag'; the date field's
  // placeholder, the browser locale's format in letters such as 'yyyy/mm/dd'; the time field's 'hh:mm').
  // So they are rewritten in the DOM after each render: a MutationObserver on the container (the
  // dropdowns open inside it) redoes it whenever form-js draws again. Preact leaves a text or an
  // attribute alone while its own value is unchanged, so a rewritten word stays until form-js
  // changes it, and then the observer rewrites it again.
  const WORDS = { 'Search': '搜索', 'Select': '请选择', 'No results': '无匹配项',
    'All values selected': '已全部选择', 'Remove tag': '移除' };
  const DATE_FORMAT = /^[ymd]+([^ymd]+[ymd]+)+$/;  // getLocaleReadableDateFormat(): 'yyyy/mm/dd'
  const DATE_PARTS = { y: '年', m: '月', d: '日' };
  const TIME_FORMATS = { 'hh:mm': '时:分', 'hh:mm --': '时:分 上午/下午' };

  function localizedPlaceholder(text) {
    if (WORDS[text]) return WORDS[text];
    if (TIME_FORMATS[text]) return TIME_FORMATS[text];
    if (DATE_FORMAT.test(text)) return text.replace(/([ymd])\1*/g, (run, letter) => DATE_PARTS[letter]);
    return null;
  }

  function localizeNow(container) {
    for (const input of container.querySelectorAll('input[placeholder]')) {
      const text = localizedPlaceholder(input.getAttribute('placeholder'));
      if (text) input.setAttribute('placeholder', text);
    }
    for (const button of container.querySelectorAll('.fjs-taglist-tag-remove[title="Remove tag"]')) {
      button.title = WORDS['Remove tag'];
    }
    // The text node itself is changed, never replaced: Preact keeps writing into the node it made.
    for (const element of container.querySelectorAll('.fjs-select-display, .fjs-dropdownlist-empty')) {
      const node = element.firstChild;
      if (node && node.nodeType === Node.TEXT_NODE && WORDS[node.data]) node.data = WORDS[node.data];
    }
  }

  // The date field's calendar is flatpickr's, which form-js creates with English month and weekday names
  // and no way to pass a locale. flatpickr keeps each instance on its input (`input._flatpickr`, its
  // documented handle) and takes a locale later through set('locale', ...): done once per instance, on
  // the first press or focus of the field (capture phase, so before form-js opens the calendar and
  // before anything is typed: set() rewrites the input from the selected date).
  const CALENDAR = {
    weekdays: { shorthand: ['日', '一', '二', '三', '四', '五', '六'],
      longhand: ['星期日', '星期一', '星期二', '星期三', '星期四', '星期五', '星期六'] },
    months: { shorthand: ['1月', '2月', '3月', '4月', '5月', '6月', '7月', '8月', '9月', '10月', '11月', '12月'],
      longhand: ['一月', '二月', '三月', '四月', '五月', '六月', '七月', '八月', '九月', '十月', '十一月', '十二月'] },
    rangeSeparator: ' 至 ', weekAbbreviation: '周', scrollTitle: '滚动切换', toggleTitle: '点击切换 12/24 小时制',
    amPM: ['上午', '下午'], yearAriaLabel: '年', monthAriaLabel: '月', hourAriaLabel: '时', minuteAriaLabel: '分',
  };

  function localizeCalendar(event) {
    const picker = event.target && event.target._flatpickr;
    if (!picker || picker.greenlistLocalized) return;
    picker.greenlistLocalized = true;
    picker.set('locale', CALENDAR);
  }

  function localize(container) {
    localizeNow(container);
    container.addEventListener('mousedown', localizeCalendar, true);
    container.addEventListener('focusin', localizeCalendar, true);
    new MutationObserver(() => localizeNow(container)).observe(container, {
      subtree: true, childList: true, characterData: true, attributes: true, attributeFilter: ['placeholder', 'title'],
    });
  }

  // form-js writes its validation messages in English: pass each through translate(message).
  // Its validator service is internal; every field check and submit() goes through this method.
  function translateMessages(form, translate) {
    const validator = form.get('validator');
    const validate = validator.validateFieldInstance.bind(validator);
    validator.validateFieldInstance = (instance, value) => validate(instance, value).map(translate);
  }

  // The form's current data, without validating (submit() would mark every empty required field).
  function readData(form) {
    return form._getState().data;
  }

  // The errors drawn at the fields, keyed by component id: {id: [message, ...]}.
  function readErrors(form) {
    return form._getState().errors;
  }

  // Draw these errors ({component id: [message, ...]}) at their fields, replacing the ones shown;
  // {} clears them.
  function showErrors(form, errorsById) {
    form._setState({ errors: errorsById });
  }

  // The first field inside `container` that form-js marks as having an error: its wrapper element
  // (form-js's markup: <div class="fjs-form-field ... fjs-has-errors">), or null.
  function firstFieldWithError(container) {
    return container.querySelector('.fjs-has-errors');
  }

  greenlist.formAdapter = {
    create, translateMessages, readData, readErrors, showErrors, firstFieldWithError, localizedPlaceholder,
  };
})();
