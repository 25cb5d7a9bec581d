// Two versions side by side: removed elements marked on the old one, added and changed on the new one.
(function () {
  'use strict';
  const data = JSON.parse(document.getElementById('compare-data').textContent);
  function draw(selector, xml, marks) {
    return window.greenlist.viewer.render(selector, xml, (diagram) => {
      for (const [cls, ids] of marks) {
        for (const id of ids) diagram.mark(id, cls);
      }
      return marks.flatMap(([, ids]) => ids).slice(0, 1);  // shown first: a change
    });
  }
  const ids = (list) => list.map((e) => e.id);
  draw('#old-diagram', data.old.xml, [['gl-removed', ids(data.diff.removed)], ['gl-changed', ids(data.diff.changed)]]);
  draw('#new-diagram', data.new.xml, [['gl-added', ids(data.diff.added)], ['gl-changed', ids(data.diff.changed)]]);
})();
