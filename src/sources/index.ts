export { SourceClients } from './clients.js';
export { MappingSupervisor } from './supervisor.js';
export { SqsInspector, SqsQueue } from './sqs.js';
export { batchItemFailures } from './runner.js';
export { loadSourceOverrides, type SourceOverride } from './overrides.js';
