// Starts Swagger UI on /+api/docs/ (a file of its own: the site's
// Content-Security-Policy allows no inline script). The document's URL comes
// from the page's data-schema-url attribute.
"use strict";
(function () {
  const node = document.getElementById("swagger-ui");
  window.ui = SwaggerUIBundle({
    url: node.dataset.schemaUrl,
    dom_id: "#swagger-ui",
    presets: [SwaggerUIBundle.presets.apis],
    layout: "BaseLayout",
    deepLinking: true,
    persistAuthorization: false,
  });
})();
