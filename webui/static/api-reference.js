// The API reference page: Swagger UI (vendored from npm) over the app's own OpenAPI document.
// A file, not an inline script, as the Content-Security-Policy allows only the app's scripts.
(function () {
  const holder = document.getElementById("api-reference");
  window.SwaggerUIBundle({ url: holder.dataset.document, domNode: holder, deepLinking: true });
})();
