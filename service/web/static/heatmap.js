// The round's diagram as a heat map: each step coloured by its median time, missed deadlines counted.
(function () {
  'use strict';
  const data = JSON.parse(document.getElementById('heatmap-data').textContent);
  window.greenlist.viewer.render(document.getElementById('heatmap'), data.xml, (diagram) => {
    for (const [id, cell] of Object.entries(data.heat)) {
      if (!diagram.mark(id, 'gl-heat-' + cell.level)) continue;
      diagram.badge(id, { bottom: 14, left: 0 }, '<span class="gl-heat-label">' + cell.label + '</span>');
    }
    for (const [id, count] of Object.entries(data.missed)) {
      if (!diagram.mark(id, 'gl-missed')) continue;
      diagram.badge(id, { top: -12, right: 12 }, '<span class="gl-missed-count" title="超期 ' + count + ' 次">超期 ' + count + '</span>');
    }
  });
})();
