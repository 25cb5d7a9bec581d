// The application's diagram: the path taken and the current step marked on the version it runs on;
// clicking an element shows only its entries in the trail. A version's page sends the bare diagram.
(function () {
  'use strict';

  const container = document.getElementById('diagram');
  if (!container) return;
  const data = { path: [], current: [], taken: [], visits: {},
    ...JSON.parse(document.getElementById('diagram-data').textContent) };
  const timeline = document.getElementById('timeline');
  const showAll = document.getElementById('show-all');

  function filterTimeline(elementId) {
    if (!timeline) return;
    let shown = 0;
    for (const item of timeline.querySelectorAll('li.event')) {
      const match = !elementId || item.dataset.element === elementId;
      item.hidden = !match;
      if (match) shown += 1;
    }
    if (showAll) showAll.hidden = !elementId;
    if (elementId && shown) timeline.querySelector('li.event:not([hidden])').scrollIntoView({ block: 'nearest' });
  }
  if (showAll) showAll.addEventListener('click', () => filterTimeline(null));

  window.greenlist.viewer.render(container, data.xml, (diagram) => {
    const done = new Set(data.path.filter((id) => !data.current.includes(id)));
    const reached = new Set([...done, ...data.current]);
    const branches = new Set(data.taken.map(([gateway, target]) => gateway + ' ' + target));
    for (const id of done) diagram.mark(id, 'gl-done');
    // A flow was taken when a gateway says so, or when it leads from a finished element to a reached one.
    for (const flow of diagram.registry.filter((e) => e.type === 'bpmn:SequenceFlow')) {
      const source = flow.source.id, target = flow.target.id;
      const taken = flow.source.type.endsWith('Gateway')
        ? branches.has(source + ' ' + target) : done.has(source) && reached.has(target);
      if (taken) diagram.mark(flow.id, 'gl-done');
    }
    for (const id of data.current) diagram.mark(id, 'gl-current');
    for (const [id, seqs] of Object.entries(data.visits)) {
      const element = diagram.registry.get(id);
      if (!element || element.waypoints) continue;
      diagram.mark(id, 'gl-visited');
      if (seqs.length > 1) {
        diagram.badge(id, { top: -10, right: 10 }, '<span class="gl-visits" title="经过 ' + seqs.length + ' 次">×' + seqs.length + '</span>');
      }
    }
    diagram.bpmnjs.get('eventBus').on('element.click', (event) => {
      const id = event.element.id;
      filterTimeline(data.visits[id] ? id : null);
    });
    // Shown first: where the application waits now, else where its path ended.
    return data.current.length ? data.current : data.path.slice(-1);
  });
})();
