// Drawing a BPMN diagram with bpmn-js (the UMD global `BpmnJS`: the navigated viewer on the read-only
// pages, the modeler in the draft editor): import, mark elements, add badges, fit the viewport at a size
// people can read, zoom buttons and wheel zoom, and set data-rendered="true" on the container once drawn
// (the browser tests wait for it). Every page with a diagram goes through here, the editor included.
(function () {
  'use strict';
  const greenlist = window.greenlist = window.greenlist || {};

  // Below this scale a 12px label is smaller than about 8px: the first view never goes under it (the
  // round's diagram is 3,650 units wide; fitted whole into a page column it would be a thumbnail).
  const LEGIBLE = 0.7;
  const MIN_ZOOM = 0.1, MAX_ZOOM = 3;
  const STEP = 1.25;  // one button press
  const MARGIN = 24;  // px left free around a fitted diagram

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

  // The modeler's palette floats over the canvas' left edge: fitted diagrams start to its right, so the
  // lanes' titles are never under it.
  function leftInset(container) {
    const palette = container.querySelector('.djs-palette');
    if (!palette || !palette.offsetWidth) return MARGIN;
    const left = palette.getBoundingClientRect().right - container.getBoundingClientRect().left;
    return Math.max(MARGIN, left + MARGIN);
  }

  // The diagram's own extent (diagram units), whatever is on screen now.
  function extent(canvas) {
    return canvas.viewbox().inner;
  }

  // The whole diagram in the container (never enlarged past 1:1), clear of the palette.
  function fitAll(bpmnjs, container) {
    const canvas = bpmnjs.get('canvas');
    canvas.resized();
    const inner = extent(canvas);
    const outer = canvas.viewbox().outer;
    if (!inner.width || !inner.height) return canvas.zoom('fit-viewport');
    const left = leftInset(container);
    const scale = Math.min(1, (outer.width - left - MARGIN) / inner.width, (outer.height - 2 * MARGIN) / inner.height);
    const width = outer.width / scale, height = outer.height / scale;
    // Centred in the space right of the palette.
    const free = (outer.width - left - MARGIN) / scale - inner.width;
    canvas.viewbox({ x: inner.x - left / scale - free / 2, y: inner.y - (height - inner.height) / 2, width, height });
    return scale;
  }

  // The first view: the whole diagram when that is legible, else the legible scale showing the
  // elements in `focus` (the current step, the changes), or the diagram's start at the top left.
  function legible(bpmnjs, container, focus) {
    const canvas = bpmnjs.get('canvas');
    const scale = fitAll(bpmnjs, container);
    if (scale >= LEGIBLE || container.classList.contains('print')) return scale;  // paper cannot be panned
    const inner = extent(canvas);
    const outer = canvas.viewbox().outer;
    const left = leftInset(container);
    const width = outer.width / LEGIBLE, height = outer.height / LEGIBLE;
    let x = inner.x - left / LEGIBLE, y = inner.y - MARGIN / LEGIBLE;
    const registry = bpmnjs.get('elementRegistry');
    const shown = (focus || []).map((id) => registry.get(id)).filter((e) => e && !e.waypoints);
    if (shown.length) {
      const minX = Math.min(...shown.map((e) => e.x)), maxX = Math.max(...shown.map((e) => e.x + e.width));
      const minY = Math.min(...shown.map((e) => e.y)), maxY = Math.max(...shown.map((e) => e.y + e.height));
      // Centre the focus, but never scroll past the diagram's edges.
      x = Math.max(x, Math.min((minX + maxX) / 2 - width / 2, inner.x + inner.width + MARGIN / LEGIBLE - width));
      y = Math.max(y, Math.min((minY + maxY) / 2 - height / 2, inner.y + inner.height + MARGIN / LEGIBLE - height));
    }
    canvas.viewbox({ x, y, width, height });
    return LEGIBLE;
  }

  function zoomBy(bpmnjs, factor, at) {
    const canvas = bpmnjs.get('canvas');
    const outer = canvas.viewbox().outer;
    const scale = Math.min(MAX_ZOOM, Math.max(MIN_ZOOM, canvas.zoom() * factor));
    canvas.zoom(scale, at || { x: outer.width / 2, y: outer.height / 2 });
  }

  // Zoom in / out / whole-diagram buttons (top right: the bpmn.io watermark keeps its bottom-right place,
  // as its licence asks) and zoom with the mouse wheel at the pointer; dragging pans.
  function controls(bpmnjs, container) {
    if (container.querySelector('.gl-zoom')) return;
    const bar = document.createElement('div');
    bar.className = 'gl-zoom no-print';
    bar.setAttribute('role', 'toolbar');
    bar.setAttribute('aria-label', '流程图缩放');
    for (const [action, label, title] of [['in', '＋', '放大'], ['out', '－', '缩小'], ['fit', '全图', '适应窗口，显示整个流程图']]) {
      const button = document.createElement('button');
      button.type = 'button';
      button.dataset.zoom = action;
      button.title = title;
      button.setAttribute('aria-label', title);
      button.textContent = label;
      bar.appendChild(button);
    }
    bar.addEventListener('click', (event) => {
      const button = event.target.closest('button[data-zoom]');
      if (!button) return;
      if (button.dataset.zoom === 'in') zoomBy(bpmnjs, STEP);
      else if (button.dataset.zoom === 'out') zoomBy(bpmnjs, 1 / STEP);
      else fitAll(bpmnjs, container);
    });
    container.appendChild(bar);
    // Our wheel handler replaces diagram-js's (which zooms only with Ctrl held and scrolls otherwise).
    try { bpmnjs.get('zoomScroll').toggle(false); } catch (error) { /* a viewer without it */ }
    container.addEventListener('wheel', (event) => {
      if (!event.deltaY) return;
      event.preventDefault();  // the page does not scroll while the pointer zooms the diagram
      const box = container.getBoundingClientRect();
      const delta = event.deltaMode === 1 ? event.deltaY * 20 : event.deltaY;  // lines → pixels (Firefox)
      zoomBy(bpmnjs, Math.exp(-Math.max(-200, Math.min(200, delta)) / 400),
        { x: event.clientX - box.left, y: event.clientY - box.top });
    }, { passive: false });
  }

  // Fit for the first view (after an import), with the controls in place; `focus`: element ids to show.
  function fit(bpmnjs, container, focus) {
    controls(bpmnjs, container);
    legible(bpmnjs, container, focus);
    container.dataset.rendered = 'true';
  }

  // A read-only diagram in `container` (element or selector); draw(diagram) marks it before it is fitted
  // and may return the ids to show first. Resolves to the diagram, or to null after writing why it could
  // not be shown into the container.
  function render(container, xml, draw) {
    const element = typeof container === 'string' ? document.querySelector(container) : container;
    const bpmnjs = new BpmnJS({ container: element });
    return bpmnjs.importXML(xml).then(() => {
      const drawn = diagram(bpmnjs);
      const focus = draw ? draw(drawn) : null;
      fit(bpmnjs, element, Array.isArray(focus) ? focus : null);
      return drawn;
    }, (error) => {
      element.textContent = '流程图无法显示：' + error.message;
      return null;
    });
  }

  greenlist.viewer = { render, diagram, fit, fitAll, zoomBy, LEGIBLE };
})();
