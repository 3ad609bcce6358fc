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

    await waitForPort(mqttPort, 30_000);
    // The 10 s of issue 2 count from the stack's start (the broker listening), not from node loading the launcher,
    // which a machine busy with the rest of the test suite can delay by seconds.
    const brokerUp = Date.now();
    const watcher = await TestClient.connect(url);
    cleanup.push(() => watcher.close());
    await watcher.subscribe('wattbus/readings');
    const reading = await watcher.waitFor('wattbus/readings', () => true, 10_000);
    expect(Date.now() - brokerUp).toBeLessThan(10_000);
    // A later subscriber gets it too: the reading is retained.
    const late = await TestClient.connect(url);
    cleanup.push(() => late.close());
    await late.subscribe('wattbus/readings');
    expect((await late.waitFor('wattbus/readings', () => true, 5_000)).retain).toBe(true);
    expect(reading.topic).toBe('wattbus/readings');
    await watcher.subscribe('wattbus/#');
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
