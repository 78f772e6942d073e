// Starts Swagger UI on the Api's own OpenAPI document, named by the page (so the page alone says what it shows).
// A separate file, not an inline script: the page's Content-Security-Policy allows scripts from this origin only.
(function () {
  var root = document.getElementById("swagger-ui");
  window.ui = SwaggerUIBundle({
    url: root.getAttribute("data-openapi-url"),
    domNode: root,
    deepLinking: true,
    // Both schemes are "Authorization: Bearer …": the Authorize dialog takes an access token or an API key.
    persistAuthorization: false,
    displayRequestDuration: true,
    // The public validator badge would send the document elsewhere.
    validatorUrl: null,
    layout: "BaseLayout",
  });
})();
