export { Environment, MAX_RESPONSE_BYTES, DEFAULT_INIT_TIMEOUT_MS, type EnvironmentOptions } from './environment.js';
export { ASSIGNMENT_PATH } from './runtime-api.js';
export type { EnvironmentState } from './state.js';
