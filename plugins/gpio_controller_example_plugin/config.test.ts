import { ConfigError } from '@wattbus/shared';
import { describe, expect, it } from 'vitest';
import { parsePluginConfig } from '../lib/plugin-config.js';
import { GpioConfig } from './config.js';

const parse = (block: Record<string, unknown>) =>
  parsePluginConfig(GpioConfig, { enabled: true, ...block }, 'plugins.gpio_controller_example_plugin');

function problemsOf(block: Record<string, unknown>): string[] {
  try {
    parse(block);
  } catch (error) {
    if (error instanceof ConfigError) return error.problems;
    throw error;
  }
  return [];
}

describe('gpio_controller_example_plugin config', () => {
  it("reads the reference README's block", () => {
    const config = parse({ pin_numbering_scheme: 'BCM', output_pin: 17, input_pin: 27 });
    expect(config.output).toEqual({ line: 17, label: 'GPIO17 (board pin 11)' });
    expect(config.input).toEqual({ line: 27, label: 'GPIO27 (board pin 13)' });
    expect(config.check_interval).toBe(60);
    expect(config.backend).toBe('auto');
  });

  it('resolves BOARD numbering, in any letter case', () => {
    expect(parse({ pin_numbering_scheme: 'board', output_pin: 11 }).output.line).toBe(17);
  });

  it('names a missing output pin, a bad scheme and a ground pin', () => {
    expect(problemsOf({})).toEqual([
      '[plugins.gpio_controller_example_plugin] output_pin = (missing): is required: the BCM number of the pin that drives the relay (e.g. 17)',
    ]);
    expect(problemsOf({ pin_numbering_scheme: 'WIRINGPI', output_pin: 0 })).toEqual([
      '[plugins.gpio_controller_example_plugin] pin_numbering_scheme = "WIRINGPI": must be "BCM" (GPIO numbers) or "BOARD" (header pin numbers)',
    ]);
    expect(problemsOf({ pin_numbering_scheme: 'BOARD', output_pin: 6, input_pin: 6 })).toEqual([
      '[plugins.gpio_controller_example_plugin] output_pin = 6: board pin 6 is a ground pin, not a GPIO',
      '[plugins.gpio_controller_example_plugin] input_pin = 6: board pin 6 is a ground pin, not a GPIO',
      '[plugins.gpio_controller_example_plugin] input_pin = 6: must differ from output_pin',
    ]);
  });
});
