// The API reference: Swagger UI (pinned, served from /vendor/) rendering
// the server's own /openapi.json. Nothing is fetched from elsewhere: no
// validator badge, no remote configuration.
'use strict';

window.polyrunDocs = SwaggerUIBundle({
  url: '/openapi.json',
  dom_id: '#docs',
  deepLinking: true,
  validatorUrl: null,
  queryConfigEnabled: false,
  tryItOutEnabled: true,
  persistAuthorization: false,
});
