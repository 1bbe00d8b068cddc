export type { ControlStore, IdentityStore, LogRepository, Store, UsageStore } from './port.js';
export { SqliteStore } from './sqlite/index.js';
