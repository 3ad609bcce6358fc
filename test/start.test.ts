import { afterEach, describe, expect, it } from 'vitest';
import { TestClient } from './helpers/mqtt.js';
import { freePort, waitForPort } from './helpers/ports.js';
import { spawnNode, stopAllProcesses } from './helpers/processes.js';
import { writeTestConfig } from './helpers/stack.js';
import { tempDir } from './helpers/temp.js';

/**
 * `npm start`: the compose topology as local processes. Retained readings appear within 10 seconds, and Ctrl-C
 * stops every process with each state topic reading `offline`.
 */
const cleanup: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const step of cleanup.splice(0).reverse()) await step();
  await stopAllProcesses();
});

describe('npm start', () => {
  it('runs the compose topology locally and stops it cleanly', async () => {
    const dir = tempDir('wattbus-start-');
    cleanup.push(() => dir.remove());
    const mqttPort = await freePort();
    const httpPort = await freePort();
    const url = `mqtt://127.0.0.1:${mqttPort}`;
    const config = writeTestConfig(dir.path, url, httpPort, '[plugins.example]\nenabled = true\n');
    const started = Date.now();
    const launcher = spawnNode(
      'npm-start',
      'scripts/dist/start.js',
      {
        WATTBUS_MQTT_PORT: String(mqttPort),
        WATTBUS_HTTP_PORT: String(httpPort),
        WATTBUS_WS_PORT: String(await freePort()),
        WATTBUS__BROKER__DATA_DIR: `${dir.path}/broker`,
      },
      ['--config', config],
    );

    await waitForPort(mqttPort, 20_000);
    const watcher = await TestClient.connect(url);
    cleanup.push(() => watcher.close());
    await watcher.subscribe('wattbus/#');
    const reading = await watcher.waitFor('wattbus/readings', () => true, 10_000);
    expect(reading.retain || Date.now() - started < 10_000).toBe(true);
    expect(Date.now() - started).toBeLessThan(10_000 + 5_000);
    await launcher.waitForLine(/mosquitto_sub -h 127\.0\.0\.1 -p \d+ -t 'wattbus\/#' -v/);
    for (const state of ['sampler', 'registry', 'plugins/example']) {
      await watcher.waitFor(`wattbus/${state}/state`, (m) => m.text === 'online', 20_000);
    }

    watcher.clear();
    launcher.child.kill('SIGINT');
    for (const state of ['sampler', 'registry', 'plugins/example']) {
      await watcher.waitFor(`wattbus/${state}/state`, (m) => m.text === 'offline', 20_000);
    }
    expect(await launcher.exited).toBe(0);
    expect(launcher.lines.join('\n')).not.toMatch(/process died/);
  });
});
