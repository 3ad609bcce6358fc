/** The registry's parts, for benchmarks and tools; the service itself starts from main.ts. */
export { resolveCommand, selectorLevels } from './catalogue/commands.js';
export { decodeValues } from './catalogue/decode.js';
export { findTypeName, TYPE_NAMES, typeNameOf } from './catalogue/type-names.js';
export { unitKind } from './catalogue/unit-kind.js';
export { applyValues } from './catalogue/values.js';
export { discoveryConfigs } from './homeassistant/discovery-config.js';
export type { Outputs, RegistryContext } from './registry/context.js';
export { pluginOperations } from './registry/plugin-operations.js';
export { RegistryCore } from './registry/registry-core.js';
export { startRegistry } from './registry-service.js';
export { closeDatabase, openDatabase } from './store/database.js';
export { GroupCommit, RequestFailure, StorageFailure } from './store/group-commit.js';
export { RegistryStore } from './store/registry-store.js';
