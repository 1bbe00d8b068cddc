export { createApiServer, type ApiOptions } from './server.js';
export { CodeLinks } from './code-links.js';
export { NotificationTokens } from './s3-notifications.js';
export type { Services } from './services.js';
