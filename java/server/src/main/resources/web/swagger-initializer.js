// Replaces the Swagger UI webjar's initializer (which loads the petstore): this server's /openapi, no online
// validator badge (the page works offline), requests sent to this server by "Try it out"; the server's title and icon.
"use strict";

window.onload = () => {
  document.title = "GPT-2 server · API docs";
  document.querySelectorAll("link[rel=icon]").forEach((l) => l.remove());
  document.head.append(Object.assign(document.createElement("link"),
    { rel: "icon", type: "image/svg+xml", href: "/static/favicon.svg" }));
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
