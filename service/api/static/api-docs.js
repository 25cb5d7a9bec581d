// The API docs page: swagger-ui (from npm, served by the app) on this service's OpenAPI document.
(function () {
  'use strict';
  const container = document.getElementById('swagger-ui');
  window.ui = SwaggerUIBundle({ url: container.dataset.specUrl, domNode: container });
})();
