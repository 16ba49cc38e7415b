// Replaces the Swagger UI webjar's initializer (which loads the petstore): this server's /openapi, no online
// validator badge (the page works offline), requests sent to this server by "Try it out".
"use strict";

window.onload = () => {
  window.ui = SwaggerUIBundle({
    url: "/openapi",
    dom_id: "#swagger-ui",
    deepLinking: true,
    validatorUrl: null,
    displayRequestDuration: true,
    presets: [SwaggerUIBundle.presets.apis, SwaggerUIStandalonePreset],
    plugins: [SwaggerUIBundle.plugins.DownloadUrl],
    layout: "StandaloneLayout",
  });
};
