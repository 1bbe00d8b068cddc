export type * from './port.js';
export { SqliteEventQueue } from './sqlite/index.js';
