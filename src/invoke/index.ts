export { InvokeService, MAX_SYNC_PAYLOAD_BYTES, type SyncInvokeInput, type SyncInvokeOutput } from './sync.js';
