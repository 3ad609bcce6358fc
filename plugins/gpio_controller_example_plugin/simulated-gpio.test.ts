import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { tempDir } from '../../test/helpers/temp.js';
import { SimulatedGpio } from './simulated-gpio.js';

describe('SimulatedGpio', () => {
  it('records outputs in its state file and leaves a released line low as an input', async () => {
    const dir = tempDir();
    const file = join(dir.path, 'gpio.json');
    try {
      const gpio = new SimulatedGpio(file);
      const line = await gpio.request({ line: 17, label: 'GPIO17', direction: 'output', initial: false });
      await line.set(true);
      expect(JSON.parse(readFileSync(file, 'utf8'))['17']).toMatchObject({
        direction: 'output',
        value: true,
        released: false,
      });
      await expect(gpio.request({ line: 17, label: 'GPIO17 again', direction: 'output' })).rejects.toThrow(
        /already in use/,
      );
      await line.release();
      expect(JSON.parse(readFileSync(file, 'utf8'))['17']).toMatchObject({
        direction: 'input',
        value: false,
        released: true,
      });
      await expect(line.set(true)).rejects.toThrow(/released/);
    } finally {
      dir.remove();
    }
  });

  it('reads inputs from the state file', async () => {
    const dir = tempDir();
    const file = join(dir.path, 'gpio.json');
    try {
      const gpio = new SimulatedGpio(file);
      const input = await gpio.request({ line: 27, label: 'GPIO27', direction: 'input' });
      expect(await input.read()).toBe(false);
      writeFileSync(file, JSON.stringify({ '27': { value: true } }));
      expect(await input.read()).toBe(true);
    } finally {
      dir.remove();
    }
  });
});
