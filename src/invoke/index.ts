export { InvokeService, MAX_SYNC_PAYLOAD_BYTES, type SyncInvokeInput, type SyncInvokeOutput } from './sync.js';
export { AsyncInvoker, MAX_EVENT_PAYLOAD_BYTES, MAX_INVOKE_ASYNC_PAYLOAD_BYTES, type AsyncTuning } from './async.js';
export { ConcurrencyGate, type ConcurrencyLimiter } from './concurrency.js';
export { ProvisionedConcurrency, type ProvisionedConcurrencyStatus } from './provisioned.js';
