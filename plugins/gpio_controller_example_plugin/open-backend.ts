import { existsSync, readdirSync } from 'node:fs';
import type { GpioBackend } from './gpio-backend.js';
import { LibgpiodGpio } from './libgpiod-gpio.js';
import { SimulatedGpio } from './simulated-gpio.js';

export interface BackendChoice {
  backend: 'auto' | 'chardev' | 'simulated';
  chip: string;
  simulationFile: string;
}

function hasGpioChip(): boolean {
  try {
    return readdirSync('/dev').some((name) => name.startsWith('gpiochip'));
  } catch {
    return false;
  }
}

/** The configured backend; `auto` picks the character device when the machine has one. */
export async function openBackend(choice: BackendChoice): Promise<GpioBackend> {
  const chardev = choice.backend === 'chardev' || (choice.backend === 'auto' && hasGpioChip());
  if (!chardev) return new SimulatedGpio(choice.simulationFile || undefined);
  if (choice.chip !== 'auto' && choice.chip.startsWith('/') && !existsSync(choice.chip)) {
    throw new Error(`GPIO chip ${choice.chip} does not exist (in a container, map it with "devices:")`);
  }
  return LibgpiodGpio.open(choice.chip);
}
