/**
 * The plugin API of wattbus: what a plugin imports from '@wattbus/plugin-runner'. docs/plugins.md is the guide.
 *
 * Two styles, one per plugin:
 * - the power monitor's: export `startPlugin(data, stopFlag, config, logger)` and `stopPlugin()`;
 * - Domoticz's: export a `definition` and the `on...` callbacks, and use `domoticz`, `devices`, `Unit`, ...
 */
export type { Color, Energy, Logger, PluginCommand, Reading } from '@wattbus/shared';
export { PluginConfigurationError } from './configuration-error.js';
export {
  Connection,
  type ConnectionInit,
  type ConnectionTarget,
  type ConnectOptions,
  type Protocol,
  type TlsSettings,
  type Transport,
} from './connections/connection.js';
export type { HttpRequest, HttpResponse, HttpSendMessage } from './connections/protocols/http.js';
export type { MqttSendMessage } from './connections/protocols/mqtt.js';
export type { WebSocketFrame, WebSocketSendMessage } from './connections/protocols/websocket.js';
export {
  devices,
  domoticz,
  latestEnergy,
  latestReading,
  legacyDevices,
  parameters,
  type RegisteredClasses,
  settings,
} from './domoticz/api.js';
export {
  definePlugin,
  type ParameterDefinition,
  type ParameterField,
  type ParameterOption,
  type PluginDefinition,
} from './domoticz/definition.js';
export { Device } from './domoticz/device.js';
export { LegacyDevice, type LegacyDeviceInit, type LegacyUpdateOptions } from './domoticz/legacy-device.js';
export type { Parameters } from './domoticz/parameters.js';
export type { JsonValue } from './domoticz/runtime.js';
export type { DomoticzPlugin, ExtendedCallbacks, LegacyCallbacks } from './domoticz/types.js';
export { Unit, type UnitInit } from './domoticz/unit.js';
export type { UnitSettings } from './domoticz/unit-base.js';
export { StopFlag, sleepFor } from './power/stop-flag.js';
export type {
  CommandListener,
  LiveEnergy,
  LiveReading,
  PluginConfig,
  PowerPlugin,
  PowerPluginExtras,
  PowerUnits,
  StartPlugin,
  StopPlugin,
  UnitCommand,
  Unsubscribe,
} from './power/types.js';
