// What the pages' scripts write: text escaped before it goes into HTML, and the message banner
// (<div id="banner" class="flash" hidden>) that says what happened.
(function () {
  'use strict';
  const greenlist = window.greenlist = window.greenlist || {};
  const ENTITIES = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

  function escapeHtml(text) {
    return String(text).replace(/[&<>"']/g, (ch) => ENTITIES[ch]);
  }

  // kind: 'info', 'success' or 'error'; html is trusted markup, so escape whatever came from elsewhere.
  // scroll: bring the banner into view (the task page's form is long; the editor keeps its place).
  function show(kind, html, { scroll = false } = {}) {
    const banner = document.getElementById('banner');
    banner.className = 'flash ' + kind;
    banner.innerHTML = html;
    banner.hidden = false;
    if (scroll) banner.scrollIntoView({ block: 'nearest' });
  }

  greenlist.text = { escapeHtml, show };
})();
