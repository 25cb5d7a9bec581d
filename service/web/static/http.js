// Calls to the JSON API from the pages: the login cookie plus the CSRF token from the page's
// <meta name="csrf-token"> in X-CSRFToken (a cookie write without it answers 400 csrf_failed).
(function () {
  'use strict';
  const greenlist = window.greenlist = window.greenlist || {};

  function csrfToken() {
    return document.querySelector('meta[name="csrf-token"]').content;
  }

  function request(method, body, extra) {
    const headers = { 'X-CSRFToken': csrfToken(), 'Accept': 'application/json' };
    const init = Object.assign({ method, headers, credentials: 'same-origin' }, extra);
    if (body instanceof FormData) {
      init.body = body;  // the browser writes the multipart Content-Type with its boundary
    } else if (body !== undefined) {
      headers['Content-Type'] = 'application/json';
      init.body = JSON.stringify(body);
    }
    return init;
  }

  // Resolves to {status, body} for every answer (body {} when empty or not JSON); rejects only when
  // the request did not get through (network down), which the caller tells the user about.
  async function api(method, url, body) {
    const response = await fetch(url, request(method, body));
    let json = null;
    try { json = await response.json(); } catch (e) { /* an empty or non-JSON body */ }
    return { status: response.status, body: json || {} };
  }

  // For a page being left: the request outlives the page (keepalive), and nobody waits for the answer.
  function sendOnLeave(method, url, body) {
    fetch(url, request(method, body, { keepalive: true })).catch(() => {});
  }

  greenlist.http = { api, sendOnLeave };
})();
