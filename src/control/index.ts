export { FunctionRegistry, type ListPage } from './registry.js';
export type * from './function-inputs.js';
export { CodeStore, codeSha256Base64, type CodeRepository } from './code-store.js';
export { resolveRuntime, runtimeSpec, SUPPORTED_RUNTIMES, type RuntimeSpec } from './runtimes.js';
export { LIMITS } from './validate.js';
export { ASYNC_DEFAULTS, EventInvokeConfigs, type AsyncSettings, type EventInvokeConfigInput } from './event-invoke-configs.js';
export { AliasRegistry, type AliasSettings, type CreateAliasInput, type UpdateAliasInput } from './aliases.js';
export { ChangeFeed, type Change, type ChangeListener } from './changes.js';
export { ProvisionedConfigs } from './provisioned-configs.js';
export {
  EventSourceMappings,
  UNSUPPORTED_DESTINATION,
  type CreateEventSourceMappingInput,
  type EventSourceMappingSettings,
  type SourceInspector,
  type UpdateEventSourceMappingInput,
} from './event-source-mappings.js';
export { FunctionPolicies, type AddPermissionInput } from './function-policies.js';
export { FunctionUrls, type FunctionUrlInput } from './function-urls.js';
