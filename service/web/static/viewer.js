// Drawing a BPMN diagram with bpmn-js (the UMD global `BpmnJS`: the navigated viewer on the read-only
// pages, the modeler in the draft editor): import, mark elements, add badges, fit the viewport, and set
// data-rendered="true" on the container once drawn (the browser tests wait for it).
(function () {
  'use strict';
  const greenlist = window.greenlist = window.greenlist || {};

  // The services every page uses, and marking that skips ids the diagram does not have
  // (an old version lacks elements a newer trail or statistic names).
  function diagram(bpmnjs) {
    const canvas = bpmnjs.get('canvas');
    const registry = bpmnjs.get('elementRegistry');
    const overlays = bpmnjs.get('overlays');
    return {
      bpmnjs, canvas, registry, overlays,
      mark(id, cls) {
        if (!registry.get(id)) return false;
        canvas.addMarker(id, cls);
        return true;
      },
      badge(id, position, html, type) {
        if (!registry.get(id)) return;
        if (type) overlays.add(id, type, { position, html });
        else overlays.add(id, { position, html });
      },
    };
  }

  function fit(bpmnjs, container) {
    bpmnjs.get('canvas').zoom('fit-viewport');
    container.dataset.rendered = 'true';
  }

  // A read-only diagram in `container` (element or selector); draw(diagram) marks it before it is fitted.
  // Resolves to the diagram, or to null after writing why it could not be shown into the container.
  function render(container, xml, draw) {
    const element = typeof container === 'string' ? document.querySelector(container) : container;
    const bpmnjs = new BpmnJS({ container: element });
    return bpmnjs.importXML(xml).then(() => {
      const drawn = diagram(bpmnjs);
      if (draw) draw(drawn);
      fit(bpmnjs, element);
      return drawn;
    }, (error) => {
      element.textContent = '流程图无法显示：' + error.message;
      return null;
    });
  }

  greenlist.viewer = { render, diagram, fit };
})();
