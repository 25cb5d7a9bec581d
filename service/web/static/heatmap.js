// The round's diagram as a heat map: each step coloured by its median time, missed deadlines counted.
(function () {
  'use strict';
  const container = document.getElementById('heatmap');
  const data = JSON.parse(document.getElementById('heatmap-data').textContent);
  const viewer = new BpmnJS({ container });
  viewer.importXML(data.xml).then(() => {
    const canvas = viewer.get('canvas');
    const registry = viewer.get('elementRegistry');
    const overlays = viewer.get('overlays');
    for (const [id, cell] of Object.entries(data.heat)) {
      if (!registry.get(id)) continue;
      canvas.addMarker(id, 'gl-heat-' + cell.level);
      overlays.add(id, { position: { bottom: 14, left: 0 }, html: '<span class="gl-heat-label">' + cell.label + '</span>' });
    }
    for (const [id, count] of Object.entries(data.missed)) {
      if (!registry.get(id)) continue;
      canvas.addMarker(id, 'gl-missed');
      overlays.add(id, { position: { top: -12, right: 12 }, html: '<span class="gl-missed-count" title="超期 ' + count + ' 次">超期 ' + count + '</span>' });
    }
    canvas.zoom('fit-viewport');
    container.dataset.rendered = 'true';
  }, (error) => {
    container.textContent = '流程图无法显示：' + error.message;
  });
})();
