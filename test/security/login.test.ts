import mqtt from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Account, type ComposeBroker, startComposeBroker } from '../helpers/compose-accounts.js';
import { stopAllProcesses } from '../helpers/processes.js';
import { BAD_USERNAME_OR_PASSWORD, mosquittoTarget, NOT_AUTHORIZED, runMosquittoClient } from './support.js';

/**
 * Issue 8, security: who may log in to the embedded broker as docker-compose.yml runs it (anonymous access off, the
 * compose service accounts, a person's user in the password file). Debian's mosquitto clients and mqtt.js, on
 * MQTT 5 and 3.1.1; every refusal has a positive control with the right credentials, so a test cannot pass because
 * nothing could connect at all.
 */
const PERSON: Account = { username: 'alice', password: 'correct horse battery staple' };

let compose: ComposeBroker;
let open: ComposeBroker;
let plugin: Account;

beforeAll(async () => {
  [compose, open] = await Promise.all([
    startComposeBroker({ people: { [PERSON.username]: PERSON.password } }),
    // The loopback demo of `npm start`: the same accounts, and anonymous access explicitly on.
    startComposeBroker({ env: { WATTBUS__BROKER__ALLOW_ANONYMOUS: 'true' } }),
  ]);
  plugin = compose.accounts.service('plugin-example');
  expect(plugin.username).toBe('plugin_example');
}, 60_000);

afterAll(async () => {
  await Promise.all([compose?.stop(), open?.stop()]);
  await stopAllProcesses();
});

/** `mosquitto_pub` one QoS 1 message to the plugin's own state topic (which every account below may not reach). */
function mosquittoPub(url: string, protocol: '5' | '311', login: string[], topic: string, retain = false) {
  return runMosquittoClient('mosquitto_pub', [
    ...mosquittoTarget(url, protocol),
    ...login,
    '-q',
    '1',
    '-t',
    topic,
    '-m',
    'online',
    ...(retain ? ['-r'] : []),
  ]);
}

const credentials = (account: Account) => ['-u', account.username, '-P', account.password];
const wrong = (account: Account) => ({ ...account, password: `${account.password}-wrong` });

/**
 * The reason code of a refused mqtt.js connection (CONNACK return code on 3.1.1, reason code on 5), or `closed`
 * when the connection ended without any CONNACK.
 */
async function mqttJsRefusal(url: string, options: mqtt.IClientOptions): Promise<number | 'closed'> {
  const client = mqtt.connect(url, { reconnectPeriod: 0, connectTimeout: 20_000, ...options });
  try {
    const outcome = await new Promise<number | 'connected' | 'closed'>((resolve, reject) => {
      client.once('connect', () => resolve('connected'));
      client.once('close', () => resolve('closed'));
      client.once('error', (error) => {
        const code = (error as { code?: unknown }).code;
        if (typeof code === 'number') resolve(code);
        else reject(error);
      });
    });
    if (outcome === 'connected') throw new Error(`${options.username ?? 'anonymous'} was let in`);
    return outcome;
  } finally {
    client.end(true);
  }
}

describe('wrong passwords', () => {
  for (const protocol of ['5', '311'] as const) {
    it(`mosquitto_pub -V ${protocol}: a service account and a password-file user with a wrong password, and an unknown user, are refused`, async () => {
      const ownTopic = 'wattbus/plugins/example/state';
      // Positive controls: the same accounts with the right passwords get in and may publish.
      const good = await Promise.all([
        mosquittoPub(compose.url, protocol, credentials(plugin), ownTopic),
        mosquittoPub(compose.url, protocol, credentials(PERSON), 'scripts/alice'),
      ]);
      for (const result of good) expect(result, result.output).toMatchObject({ code: 0 });

      const refused = await Promise.all([
        mosquittoPub(compose.url, protocol, credentials(wrong(plugin)), ownTopic),
        mosquittoPub(compose.url, protocol, credentials(wrong(PERSON)), 'scripts/alice'),
        mosquittoPub(compose.url, protocol, credentials({ username: 'mallory', password: 'guessed1' }), 'x'),
        // A plugin account name the compose file does not define.
        mosquittoPub(
          compose.url,
          protocol,
          credentials({ username: 'plugin_evil', password: 'guessed1' }),
          'x',
        ),
      ]);
      for (const result of refused) {
        expect(result.code, result.output).not.toBe(0);
        expect(result.output).toMatch(/bad user ?name or password/i);
      }
    });
  }

  it('mqtt.js: the same refusals carry "bad user name or password" on MQTT 5 (0x86) and 3.1.1 (4)', async () => {
    const cases: Account[] = [
      wrong(plugin),
      wrong(PERSON),
      { username: 'mallory', password: 'guessed1' },
      // The right password of another account does not open this one.
      { username: plugin.username, password: compose.accounts.account('registry').password },
    ];
    for (const account of cases) {
      expect(await mqttJsRefusal(compose.url, { ...account, protocolVersion: 5 })).toBe(
        BAD_USERNAME_OR_PASSWORD,
      );
      expect(await mqttJsRefusal(compose.url, { ...account, protocolVersion: 4 })).toBe(4);
    }
    // Positive control: the right password.
    const client = await mqtt.connectAsync(compose.url, {
      ...plugin,
      reconnectPeriod: 0,
      protocolVersion: 5,
    });
    await client.endAsync(true);
  });

  it('logs each refusal with its reason and never the password', async () => {
    const secret = 'a-password-that-must-not-be-logged';
    await mqttJsRefusal(compose.url, { username: 'plugin_example', password: secret, protocolVersion: 5 });
    const line = await compose.process!.waitForLine(/refused connection: wrong username or password/);
    expect(JSON.parse(line)).toMatchObject({ level: 'warn' });
    expect(compose.process!.lines.join('\n')).not.toContain(secret);
  });
});

describe('anonymous clients', () => {
  it('are refused when anonymous access is off (the compose default): mosquitto_pub, mosquitto_sub and mqtt.js', async () => {
    for (const protocol of ['5', '311'] as const) {
      const pub = await mosquittoPub(compose.url, protocol, [], 'wattbus/readings');
      expect(pub.code, pub.output).not.toBe(0);
      expect(pub.output).toMatch(/not authori[sz]ed/i);
      const sub = await runMosquittoClient('mosquitto_sub', [
        ...mosquittoTarget(compose.url, protocol),
        '-t',
        '#',
        '-C',
        '1',
        '-W',
        '10',
      ]);
      expect(sub.code, sub.output).not.toBe(0);
      expect(sub.output).toMatch(/not authori[sz]ed/i);
    }
    expect(await mqttJsRefusal(compose.url, { protocolVersion: 5 })).toBe(NOT_AUTHORIZED);
    expect(await mqttJsRefusal(compose.url, { protocolVersion: 4 })).toBe(5);
    // A password without a username is not a way around it (the broker refuses it or closes the connection).
    expect(await mqttJsRefusal(compose.url, { protocolVersion: 5, password: plugin.password })).not.toBe(0);
  });

  it('are let in when anonymous access is on (positive control): mosquitto_pub and mosquitto_sub', async () => {
    for (const protocol of ['5', '311'] as const) {
      const topic = `scripts/anonymous-${protocol}`;
      const pub = await mosquittoPub(open.url, protocol, [], topic, true);
      expect(pub, pub.output).toMatchObject({ code: 0 });
      const sub = await runMosquittoClient('mosquitto_sub', [
        ...mosquittoTarget(open.url, protocol),
        '-t',
        topic,
        '-C',
        '1',
        '-W',
        '15',
      ]);
      expect(sub, sub.output).toMatchObject({ code: 0, output: 'online\n' });
    }
    // The compose accounts still need their own passwords on that broker.
    expect(await mqttJsRefusal(open.url, { ...wrong(plugin), protocolVersion: 5 })).toBe(
      BAD_USERNAME_OR_PASSWORD,
    );
  });
});
