export type { ControlStore, FailedEvent, FailedEventStore, LogRepository, Store, UsageStore } from './port.js';
export { SqliteStore } from './sqlite/index.js';
