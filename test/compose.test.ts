import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { REPO_ROOT } from './helpers/processes.js';

interface ComposeConfig {
  services: Record<
    string,
    { command?: string[]; environment?: Record<string, string>; restart?: string; volumes?: unknown[] }
  >;
  volumes?: Record<string, unknown>;
}

/** Every password the compose file asks for, set to a dummy value, as `.env` would. */
function dummyEnv(): Record<string, string> {
  const text = execFileSync('grep', ['-o', '^WATTBUS_[A-Z0-9_]*_PASSWORD', join(REPO_ROOT, '.env.example')], {
    encoding: 'utf8',
  });
  return Object.fromEntries(
    text
      .trim()
      .split('\n')
      .map((name) => [name, 'dummy-password']),
  );
}

describe('docker-compose.yml', () => {
  it("is valid for Debian's docker-compose (static check, no engine needed)", () => {
    const result = spawnSync(
      'docker-compose',
      ['-f', 'docker-compose.yml', '-f', 'docker-compose.pi.yml', 'config'],
      {
        cwd: REPO_ROOT,
        env: { ...process.env, ...dummyEnv() },
        encoding: 'utf8',
      },
    );
    expect(
      result.error,
      'docker-compose is installed by .ci/run (Debian package docker-compose)',
    ).toBeUndefined();
    expect(result.stderr).not.toMatch(/ERROR|invalid/i);
    expect(result.status).toBe(0);
    const config = parseYaml(result.stdout) as ComposeConfig;
    expect(Object.keys(config.services)).toEqual(expect.arrayContaining(['broker', 'sampler', 'registry']));
    expect(Object.keys(config.volumes ?? {})).toEqual(
      expect.arrayContaining(['registry-data', 'broker-data']),
    );
  });

  it('refuses to start without the passwords of .env, naming what to do', () => {
    const result = spawnSync('docker-compose', ['config'], {
      cwd: REPO_ROOT,
      encoding: 'utf8',
      env: { PATH: process.env.PATH },
    });
    expect(result.status).not.toBe(0);
    expect(result.stderr).toMatch(/copy \.env\.example to \.env/);
  });

  it('gives every service and plugin its own broker account, and runs only compiled JavaScript', () => {
    const config = parseYaml(
      execFileSync('docker-compose', ['config'], {
        cwd: REPO_ROOT,
        env: { ...process.env, ...dummyEnv() },
        encoding: 'utf8',
      }),
    ) as ComposeConfig;
    const usernames = new Set<string>();
    for (const [name, service] of Object.entries(config.services)) {
      const command = service.command ?? [];
      expect(command[0], `${name} runs node`).toBe('node');
      expect(command[1], `${name} runs compiled code`).toMatch(/\/dist\/.*\.js$/);
      expect(existsSync(join(REPO_ROOT, command[1]!)), `${command[1]} is built by npm run build`).toBe(true);
      if (name === 'broker') continue;
      const username = service.environment?.WATTBUS_MQTT_USERNAME;
      expect(username, `${name} has its own username`).toBeTruthy();
      expect(usernames.has(username!), `${name}'s username is unique`).toBe(false);
      usernames.add(username!);
      expect(
        config.services.broker!.environment?.[`WATTBUS_SERVICE_ACCOUNT_${username!.toUpperCase()}`],
      ).toBe('dummy-password');
    }
  });
});

describe('Dockerfile', () => {
  it('builds on a current Node LTS image in stages and runs as an unprivileged user', () => {
    const dockerfile = readFileSync(join(REPO_ROOT, 'Dockerfile'), 'utf8');
    expect(Number(/node:(\d+)/.exec(dockerfile)?.[1])).toBeGreaterThanOrEqual(22);
    expect(dockerfile).toMatch(/ AS build$/m);
    expect(dockerfile).toMatch(/ AS runtime$/m);
    expect(dockerfile).toMatch(/^USER node$/m);
  });
});
