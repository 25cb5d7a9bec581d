// Two versions side by side: removed elements marked on the old one, added and changed on the new one.
(function () {
  'use strict';
  const data = JSON.parse(document.getElementById('compare-data').textContent);
  function show(selector, xml, marks) {
    const viewer = new BpmnJS({ container: selector });
    return viewer.importXML(xml).then(() => {
      const canvas = viewer.get('canvas');
      const registry = viewer.get('elementRegistry');
      for (const [cls, ids] of marks) {
        for (const id of ids) { if (registry.get(id)) canvas.addMarker(id, cls); }
      }
      canvas.zoom('fit-viewport');
      document.querySelector(selector).dataset.rendered = 'true';
    });
  }
  const ids = (list) => list.map((e) => e.id);
  show('#old-diagram', data.old.xml, [['gl-removed', ids(data.diff.removed)], ['gl-changed', ids(data.diff.changed)]]);
  show('#new-diagram', data.new.xml, [['gl-added', ids(data.diff.added)], ['gl-changed', ids(data.diff.changed)]]);
})();
