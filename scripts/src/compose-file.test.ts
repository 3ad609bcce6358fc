import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { tempDir } from '../../test/helpers/temp.js';
import { generatedSecrets, interpolate, localise, readComposeFile, startOrder } from './compose-file.js';

const dirs: { remove(): void }[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) dir.remove();
});

describe('compose interpolation', () => {
  it('follows compose rules, and generates the secrets compose requires from .env', () => {
    const vars = { SET: 'x', EMPTY: '' };
    expect(interpolate('${SET}/$SET/${MISSING}', vars)).toBe('x/x/');
    expect(interpolate('${EMPTY:-d} ${EMPTY-d} ${MISSING-d}', vars)).toBe('d  d');
    expect(interpolate('cost $$5', vars)).toBe('cost $5');
    const secrets = generatedSecrets();
    const first = interpolate('${PW:?must be set}', vars, secrets);
    expect(first).toMatch(/^[A-Za-z0-9_-]{24}$/);
    expect(interpolate('${PW:?again}', vars, secrets)).toBe(first);
    expect(interpolate('${OTHER:?x}', vars, secrets)).not.toBe(first);
    expect(interpolate('${SET:?x}', vars, secrets)).toBe('x');
  });

  it('maps compose host names and container ports to loopback and published ports', () => {
    const ports = new Map([['broker', new Map([[1883, 18830]])]]);
    expect(localise('mqtt://broker:1883', ports, '/repo', '/repo/config.toml')).toBe(
      'mqtt://127.0.0.1:18830',
    );
    expect(localise('mqtt://elsewhere:1883', ports, '/repo', '/c')).toBe('mqtt://elsewhere:1883');
    expect(localise('/app/config.toml', ports, '/repo', '/tmp/my.toml')).toBe('/tmp/my.toml');
    expect(localise('/app/data/x', ports, '/repo', '/c')).toBe('/repo/data/x');
  });
});

describe('readComposeFile', () => {
  it("runs the project's docker-compose.yml locally: broker first, every URL on loopback", () => {
    const services = startOrder(
      readComposeFile('docker-compose.yml', { WATTBUS_MQTT_PORT: '18830' }, '/repo', '/cfg.toml'),
    );
    expect(services[0]!.name).toBe('broker');
    const broker = services[0]!;
    expect(broker.env.WATTBUS__BROKER__PORT).toBe('18830');
    expect(broker.env.WATTBUS__BROKER__HOST).toBe('127.0.0.1');
    expect(broker.env.WATTBUS__BROKER__ALLOW_ANONYMOUS).toBe('true');
    for (const service of services.slice(1)) {
      expect(service.dependsOn).toContain('broker');
      expect(service.env.WATTBUS_MQTT_URL).toBe('mqtt://127.0.0.1:18830');
      expect(service.env.WATTBUS_CONFIG).toBe('/cfg.toml');
      expect(service.command[0]).toBe('node');
    }
    const plugins = services.filter((service) => service.env.WATTBUS_PLUGIN_ID);
    expect(plugins.length).toBeGreaterThan(0);
    for (const plugin of plugins) {
      expect(plugin.name).toBe(`plugin-${plugin.env.WATTBUS_PLUGIN_ID}`);
      expect(plugin.restart).toBe('on-failure');
      expect(plugin.env.WATTBUS_MQTT_USERNAME).toBe(`plugin_${plugin.env.WATTBUS_PLUGIN_ID}`);
    }
    // Every service account the broker defines matches the password its service connects with.
    for (const service of services.filter((s) => s.env.WATTBUS_MQTT_USERNAME)) {
      const account = `WATTBUS_SERVICE_ACCOUNT_${service.env.WATTBUS_MQTT_USERNAME!.toUpperCase()}`;
      expect(broker.env[account], account).toBe(service.env.WATTBUS_MQTT_PASSWORD);
      expect(service.env.WATTBUS_MQTT_PASSWORD).toMatch(/^.{16,}$/);
    }
  });

  it('explains why a compose file cannot be run locally', () => {
    const dir = tempDir();
    dirs.push(dir);
    const path = join(dir.path, 'compose.yml');
    writeFileSync(path, 'services:\n  a:\n    command: node x.js\n');
    expect(() => readComposeFile(path, {}, '/repo', '/c')).toThrow(/services\.a\.command: must be an array/);
    writeFileSync(path, 'services:\n  a:\n    command: [node]\n    depends_on: [b]\n');
    expect(() => startOrder(readComposeFile(path, {}, '/repo', '/c'))).toThrow(
      'a depends on unknown service b',
    );
  });
});
