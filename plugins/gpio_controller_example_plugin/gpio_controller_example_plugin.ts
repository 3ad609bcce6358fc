import type { StartPlugin, StopPlugin } from '@wattbus/plugin-runner';
import { sleepFor } from '@wattbus/plugin-runner';
import { parsePluginConfig } from '../lib/plugin-config.js';
import { GpioConfig } from './config.js';
import type { GpioLine } from './gpio-backend.js';
import { openBackend } from './open-backend.js';
import { RelayController } from './relay-controller.js';
import { modeForCommand, RelayUnits } from './relay-units.js';

/**
 * gpio_controller_example_plugin: the reference's example plugin. Every `check_interval` seconds it drives the
 * output pin high while the home exports power (net power below zero) and low otherwise; the pin is given back
 * (driven low, released as an input) when the plugin stops. Two units in the device registry show the pin and
 * let Home Assistant override it (relay-units.ts).
 */

let cleanup: (() => Promise<void>) | undefined;

export const startPlugin: StartPlugin = async (data, stopFlag, block, logger, extras) => {
  const config = parsePluginConfig(GpioConfig, block, `plugins.${extras.pluginId}`);
  const backend = await openBackend({
    backend: config.backend,
    chip: config.chip,
    simulationFile: config.simulation_file,
  });
  const output = await backend.request({
    line: config.output.line,
    label: config.output.label,
    direction: 'output',
    initial: false,
    activeLow: config.active_low,
  });
  let input: GpioLine | undefined;
  try {
    if (config.input)
      input = await backend.request({ ...config.input, direction: 'input', activeLow: config.active_low });
  } catch (error) {
    await output.release();
    throw error;
  }
  let released: Promise<void> | undefined;
  cleanup = () => {
    released ??= Promise.all([output.release(), input?.release()]).then(() =>
      logger.info({ pin: output.label }, 'output pin cleaned up (low, released as an input)'),
    );
    return released;
  };
  logger.info(
    {
      backend: backend.description,
      output: output.label,
      input: input?.label,
      check_interval: config.check_interval,
    },
    'controlling the output pin from net power',
  );

  const units = new RelayUnits(extras.units, logger, output.label);
  const relay = new RelayController(output, logger, (state) => units.show(state));
  const netPower = () => (data.timestamp === undefined ? undefined : data.net.power);
  extras.onCommand(async (command) => {
    const wanted = modeForCommand(command);
    if ('ignored' in wanted) {
      logger.warn({ deviceId: command.deviceId, unit: command.unit }, `command ignored: ${wanted.ignored}`);
      return;
    }
    await relay.setMode(wanted.mode, netPower(), command.source ?? 'a command');
  });
  // In the background: the relay follows net power whether or not the device registry is running.
  void units
    .attach()
    .then(async (stored) => {
      if (stored && stored !== 'auto' && relay.state.mode === 'auto')
        await relay.setMode(stored, netPower(), 'the mode stored in the device registry');
      units.show(relay.state);
    })
    .catch((error: unknown) => {
      if (!stopFlag.isSet()) logger.error({ err: error }, 'could not set up the relay units');
    });
  try {
    while (!stopFlag.isSet()) {
      try {
        await relay.check(netPower());
        if (input) logger.debug({ pin: input.label, value: await input.read() }, 'input pin');
      } catch (error) {
        logger.error({ err: error }, 'GPIO operation failed; trying again at the next check');
      }
      await sleepFor(config.check_interval, stopFlag);
    }
  } finally {
    await cleanup();
  }
};

export const stopPlugin: StopPlugin = async () => {
  await cleanup?.();
};
