import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TestClient } from '../../../test/helpers/mqtt.js';
import { runCommand, type SecuredBroker, startSecuredBroker } from './support.js';

/**
 * Interoperability with clients nobody here wrote: Debian's mosquitto_pub and mosquitto_sub, on MQTT 5 and 3.1.1,
 * against the embedded broker with anonymous access off.
 */
let broker: SecuredBroker;
beforeAll(async () => {
  broker = await startSecuredBroker({ users: { alice: 'alice-password' } });
});
afterAll(async () => {
  await broker?.stop();
});

const login = ['-u', 'alice', '-P', 'alice-password'];
const connection = (version: string) => ['-h', '127.0.0.1', '-p', String(broker.port), '-V', version];

describe.each(['5', '311'])('mosquitto clients with -V %s', (version) => {
  const topic = (name: string) => `interop/v${version}/${name}`;
  const pub = (...args: string[]) =>
    runCommand('mosquitto_pub', [...connection(version), ...login, ...args]).finished;
  // stdbuf: mosquitto_sub's -d lines ("received SUBACK") must arrive while it runs, not when its pipe buffer fills.
  const sub = (...args: string[]) =>
    runCommand('stdbuf', [
      '-oL',
      'mosquitto_sub',
      ...connection(version),
      ...login,
      ...['-d', '-W', '20', '-F', '%t|%r|%q|%p'],
      ...args,
    ]);
  const messages = (stdout: string) => stdout.split('\n').filter((line) => line.includes('|'));

  it('publishes and subscribes with QoS 1', async () => {
    const subscriber = sub('-q', '1', '-C', '1', '-t', topic('qos1'));
    await subscriber.waitForOutput(/received SUBACK/);
    expect((await pub('-q', '1', '-t', topic('qos1'), '-m', 'hello')).code).toBe(0);
    const result = await subscriber.finished;
    expect(result.code).toBe(0);
    expect(messages(result.stdout)).toEqual([`${topic('qos1')}|0|1|hello`]);
  });

  it('keeps a retained message for later subscribers', async () => {
    // QoS 0: aedes replays a retained message through a wildcard subscription at its stored QoS (docs/broker.md).
    expect((await pub('-r', '-t', topic('retained'), '-m', 'kept')).code).toBe(0);
    const result = await sub('-C', '1', '-t', topic('#')).finished;
    expect(messages(result.stdout)).toEqual([`${topic('retained')}|1|0|kept`]);
  });

  it('queues QoS 1 messages for a persistent session while it is away', async () => {
    const id = `interop-session-${version}`;
    const first = sub('-c', '-i', id, '-q', '1', '-t', topic('queued'));
    await first.waitForOutput(/received SUBACK/);
    first.kill('SIGKILL');
    await first.finished;
    const published = await pub('-q', '1', '-t', topic('queued'), '-m', 'while away');
    expect(published.code, published.stderr).toBe(0);
    const second = await sub('-c', '-i', id, '-q', '1', '-C', '1', '-t', topic('queued')).finished;
    expect(messages(second.stdout), second.stderr).toEqual([`${topic('queued')}|0|1|while away`]);
  });

  it('publishes the will of a client that dies', async () => {
    const observer = await TestClient.connect(broker.url, { username: 'alice', password: 'alice-password' });
    await observer.subscribe(topic('will'));
    const dying = sub(
      '-t',
      topic('nothing'),
      '--will-topic',
      topic('will'),
      '--will-payload',
      'gone',
      '--will-qos',
      '1',
    );
    await dying.waitForOutput(/received SUBACK/);
    dying.kill('SIGKILL');
    const will = await observer.waitFor(topic('will'));
    expect(will.text).toBe('gone');
    await observer.close();
  });

  it('refuses a wrong password and anonymous clients', async () => {
    const wrong = await runCommand('mosquitto_pub', [
      ...connection(version),
      ...['-u', 'alice', '-P', 'wrong-password', '-t', topic('x'), '-m', 'x'],
    ]).finished;
    expect(wrong.code).not.toBe(0);
    expect(wrong.stderr).toMatch(/bad user ?name or password/i);
    const anonymous = await runCommand('mosquitto_pub', [...connection(version), '-t', topic('x'), '-m', 'x'])
      .finished;
    expect(anonymous.code).not.toBe(0);
    expect(anonymous.stderr).toMatch(/not authori[sz]ed/i);
  });
});
