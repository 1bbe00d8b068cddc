export type {
  ControlStore,
  HistoryEntry,
  HistoryStore,
  IdentityStore,
  LogGroupRow,
  LogGroupScan,
  LogRepository,
  LogStreamRead,
  LogStreamRow,
  MetricStore,
  Store,
  UsageStore,
} from './port.js';
export { SqliteStore } from './sqlite/index.js';
