export { createApiServer, type ApiOptions } from './server.js';
export { CodeLinks } from './code-links.js';
export type { Services } from './services.js';
