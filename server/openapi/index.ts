export { openApiDocument, buildOpenApiDocument, errorsOf, API_PREFIX, type OpenApiDocument } from './document';
export { OPERATIONS, type Operation } from './operations';
