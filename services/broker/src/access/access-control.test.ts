import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { BrokerSection, createLogger } from '@wattbus/shared';
import { afterEach, describe, expect, it } from 'vitest';
import { tempDir } from '../../../../test/helpers/temp.js';
import { AccessControl } from './access-control.js';
import { hashPassword, writePasswordFile } from './password-file.js';

const logger = createLogger({ service: 'test', level: 'silent' });
const roots = { base: 'wattbus', discovery: 'homeassistant' };
const dirs: { remove(): void }[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) dir.remove();
});

async function setup(settings: Partial<BrokerSection> = {}, acl?: string) {
  const dir = tempDir();
  dirs.push(dir);
  writePasswordFile(join(dir.path, 'passwd'), new Map([['alice', await hashPassword('alice-password')]]));
  let aclFile = '';
  if (acl !== undefined) {
    aclFile = join(dir.path, 'acl');
    writeFileSync(aclFile, acl);
  }
  const access = new AccessControl({
    settings: BrokerSection.parse({ data_dir: dir.path, acl_file: aclFile, ...settings }),
    roots,
    pluginIds: ['example'],
    env: { WATTBUS_SERVICE_ACCOUNT_PLUGIN_EXAMPLE: 'plugin-password', WATTBUS_SERVICE_ACCOUNT_REGISTRY: '' },
    logger,
  });
  return { access, dir: dir.path };
}

const password = (text: string) => Buffer.from(text);

describe('AccessControl', () => {
  it('refuses anonymous clients unless allowed, then gives them full access', async () => {
    const closed = (await setup()).access;
    expect(await closed.authenticate(undefined, undefined, 'c')).toMatchObject({ ok: false, returnCode: 5 });
    const open = (await setup({ allow_anonymous: true })).access;
    const verdict = await open.authenticate(undefined, undefined, 'c');
    expect(verdict.ok && verdict.rules.canPublish('anything/at/all')).toBe(true);
    expect(verdict.ok && verdict.rules.canPublish('$SYS/x')).toBe(false);
  });

  it('checks service accounts and password-file users', async () => {
    const { access } = await setup();
    const plugin = await access.authenticate('plugin_example', password('plugin-password'), 'c');
    expect(plugin).toMatchObject({ ok: true, username: 'plugin_example' });
    expect(plugin.ok && plugin.rules.source).toBe('role plugin (example)');
    expect(await access.authenticate('plugin_example', password('wrong'), 'c')).toMatchObject({
      ok: false,
      returnCode: 4,
    });
    expect(await access.authenticate('alice', password('alice-password'), 'c')).toMatchObject({ ok: true });
    expect(await access.authenticate('alice', password('nope'), 'c')).toMatchObject({
      ok: false,
      returnCode: 4,
    });
    expect(await access.authenticate('alice', undefined, 'c')).toMatchObject({ ok: false, returnCode: 4 });
    expect(await access.authenticate('mallory', password('alice-password'), 'c')).toMatchObject({
      ok: false,
    });
    // An account declared with an empty password cannot log in, not even with an empty password.
    expect(await access.authenticate('registry', password(''), 'c')).toMatchObject({ ok: false });
  });

  it('gives password-file users full access without an acl_file, and the file rules with one', async () => {
    const withoutAcl = (await setup()).access.rulesFor('alice', 'c');
    expect(withoutAcl.canSubscribe('#')).toBe(true);

    const { access } = await setup({}, 'user alice\ntopic read wattbus/#\npattern write dashboards/%u/%c\n');
    const alice = access.rulesFor('alice', 'phone');
    expect(alice.canSubscribe('wattbus/#')).toBe(true);
    expect(alice.canSubscribe('#')).toBe(false);
    expect(alice.canPublish('dashboards/alice/phone')).toBe(true);
    expect(alice.canPublish('dashboards/alice/laptop')).toBe(false);
    expect(alice.canPublish('wattbus/devices/x/y/1/set')).toBe(false);
  });

  it('lets an acl_file user block extend a role, but not pattern lines', async () => {
    const { access } = await setup(
      {},
      'pattern readwrite #\nuser plugin_example\ntopic read homeassistant/status\n',
    );
    const plugin = access.rulesFor('plugin_example', 'c');
    expect(plugin.canSubscribe('homeassistant/status')).toBe(true);
    expect(plugin.canPublish('wattbus/plugins/other/state')).toBe(false);
  });

  it('applies the acl_file anonymous block to anonymous clients', async () => {
    const { access } = await setup({ allow_anonymous: true }, 'topic read wattbus/readings\nuser alice\n');
    const anonymous = access.rulesFor(undefined, 'c');
    expect(anonymous.canSubscribe('wattbus/readings')).toBe(true);
    expect(anonymous.canSubscribe('wattbus/#')).toBe(false);
    expect(anonymous.canPublish('wattbus/readings')).toBe(false);
  });

  it('reloads changed files and keeps the old ones when the new ones are broken', async () => {
    const { access, dir } = await setup();
    writePasswordFile(join(dir, 'passwd'), new Map([['bob', await hashPassword('bob-password')]]));
    access.reload();
    expect(await access.authenticate('bob', password('bob-password'), 'c')).toMatchObject({ ok: true });
    expect(await access.authenticate('alice', password('alice-password'), 'c')).toMatchObject({ ok: false });
    writeFileSync(join(dir, 'passwd'), 'garbage line\n');
    access.reload();
    expect(await access.authenticate('bob', password('bob-password'), 'c')).toMatchObject({ ok: true });
  });

  it('stops the service on an invalid acl_file at start', async () => {
    await expect(setup({}, 'topic read a/#/b\n')).rejects.toThrow(/acl:1: the topic "a\/#\/b"/);
  });
});
