export { EnvironmentPool, type PoolStats } from './pool.js';
export { HelperSpawner, type RuntimeProcess, type SpawnRequest, type Spawner } from './spawner.js';
export { createLauncher, RUNTIMES_DIR, type EnvironmentIdentity } from './launchers.js';
export { MAX_RESPONSE_BYTES } from './environment/index.js';
export { ensureNodeBinary, findNodeBinary } from './node-builds.js';
export { ensureNodeSdk, findNodeSdk, nodeSdkVersions, NODE_SDK_PACKAGES } from './node-sdk.js';
export { PythonInterpreters, type PythonInterpreter } from './python-interpreters.js';
export type * from './types.js';
export * from './sandbox/index.js';
