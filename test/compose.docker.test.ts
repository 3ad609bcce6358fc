import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { TestClient } from './helpers/mqtt.js';
import { REPO_ROOT } from './helpers/processes.js';

/**
 * The whole stack as containers, through testcontainers. It needs a Docker engine; where none is reachable (as on
 * the development and CI machines of this project) the test reports itself as skipped and says why.
 */
async function engineProblem(): Promise<string | undefined> {
  try {
    const { getContainerRuntimeClient } = await import('testcontainers');
    await getContainerRuntimeClient();
    return undefined;
  } catch (error) {
    return `no Docker engine reachable (${String((error as Error).message).split('\n')[0]})`;
  }
}

const problem = await engineProblem();

describe('docker compose up (testcontainers)', () => {
  it('builds the image and serves retained readings from the containers', async (context) => {
    if (problem) {
      process.stderr.write(`SKIPPED docker compose end-to-end test: ${problem}\n`);
      context.skip(problem);
    }
    const { DockerComposeEnvironment, Wait } = await import('testcontainers');
    const passwords = execFileSync(
      'grep',
      ['-o', '^WATTBUS_[A-Z0-9_]*_PASSWORD', `${REPO_ROOT}/.env.example`],
      {
        encoding: 'utf8',
      },
    )
      .trim()
      .split('\n');
    const environment = await new DockerComposeEnvironment(REPO_ROOT, 'docker-compose.yml')
      .withBuild()
      .withEnvironment({
        ...Object.fromEntries(passwords.map((name) => [name, 'test-password'])),
        WATTBUS_MQTT_PORT: '0',
        WATTBUS_HTTP_PORT: '0',
      })
      .withWaitStrategy('broker-1', Wait.forListeningPorts())
      .up();
    try {
      const broker = environment.getContainer('broker-1');
      const url = `mqtt://${broker.getHost()}:${broker.getMappedPort(1883)}`;
      const client = await TestClient.connect(url, { username: 'homeassistant', password: 'test-password' });
      await client.subscribe('wattbus/readings');
      const reading = await client.waitForJson<{ voltage: number }>('wattbus/readings', () => true, 60_000);
      expect(reading.voltage).toBeGreaterThan(0);
      await client.close();
    } finally {
      await environment.down();
    }
  });
});
