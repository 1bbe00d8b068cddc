export type { Store } from './port.js';
export { SqliteStore } from './sqlite/index.js';
