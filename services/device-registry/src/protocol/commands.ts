import { type Bus, type Logger, topics, type UnitCommand } from '@wattbus/shared';
import { resolveCommand } from '../catalogue/commands.js';
import type { UnitAddress } from '../registry/bridge-operations.js';
import type { Origin, Outputs } from '../registry/context.js';
import { kindOf } from '../registry/records.js';
import { describeUnit } from '../registry/unit-writes.js';
import { RequestFailure } from '../store/group-commit.js';
import type { RegistryStore } from '../store/registry-store.js';

export interface CommandRouterOptions {
  bus: Bus;
  store: RegistryStore;
  outputs: Outputs;
  isOnline(hardware: string): boolean;
  logger: Logger;
}

/**
 * Routes commands to the plugin that owns the unit, with Domoticz's onCommand arguments. A command is delivered
 * now or refused with a reason; it is never queued for replay, because a switch command that arrives minutes
 * late (after a plugin restart) is worse than one that fails visibly.
 */
export class CommandRouter {
  constructor(private readonly options: CommandRouterOptions) {}

  /** Validates and routes a command; throws a RequestFailure saying why it was not delivered. */
  send(address: UnitAddress, input: UnitCommand, source: Origin | 'mqtt'): void {
    const { store, bus } = this.options;
    const unit = store.findUnit(address.hardware, address.deviceId, address.unit);
    if (!unit) {
      throw new RequestFailure(
        `${describeUnit(address.hardware, address.deviceId, address.unit)} does not exist`,
        'not_found',
      );
    }
    const resolved = resolveCommand(
      { kind: kindOf(unit), nValue: unit.nValue, options: unit.options },
      input,
    );
    if (!resolved.ok) throw new RequestFailure(resolved.error);
    if (!this.options.isOnline(address.hardware)) {
      throw new RequestFailure(
        `plugin ${address.hardware} is offline; the command was not delivered`,
        'unavailable',
      );
    }
    const { ok: _ok, ...onCommand } = resolved;
    bus
      .publish(
        topics.pluginCommand,
        { hw: address.hardware },
        { deviceId: address.deviceId, unit: address.unit, ...onCommand, source },
      )
      .catch((error: unknown) =>
        this.options.logger.error({ err: error, ...address }, 'could not publish a command'),
      );
  }

  /** Subscribes to `<base>/devices/+/+/+/set`; failures become `command_failed` bridge events. */
  start(): void {
    const { bus, outputs, logger } = this.options;
    const fail = (topic: string, reason: string, extra: Record<string, unknown> = {}) => {
      logger.info({ topic, reason }, 'command refused');
      outputs.bridgeEvent('command_failed', { topic, reason, ...extra });
    };
    bus.subscribe(
      topics.unitSet,
      {},
      (command, params, meta) => {
        const address = { hardware: params.hw, deviceId: params.device, unit: params.unit };
        if (meta.retain) {
          return fail(
            meta.topic,
            'commands published with the retain flag are ignored (they would replay)',
            address,
          );
        }
        try {
          this.send(address, command, 'mqtt');
        } catch (error) {
          if (!(error instanceof RequestFailure)) throw error;
          fail(meta.topic, error.message, { ...address, command: command.command });
        }
      },
      (error, meta, params) =>
        fail(
          meta.topic,
          error,
          params ? { hardware: params.hw, deviceId: params.device, unit: params.unit } : {},
        ),
      // On MQTT 5, a command published with retain keeps the flag, so it can be refused and never replayed.
      { retainAsPublished: true },
    );
  }
}
