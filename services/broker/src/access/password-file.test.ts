import { readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ConfigError } from '@wattbus/shared';
import { describe, expect, it } from 'vitest';
import { tempDir } from '../../../../test/helpers/temp.js';
import {
  hashPassword,
  parsePasswordFile,
  readPasswordFile,
  verifyPassword,
  writePasswordFile,
} from './password-file.js';

describe('password hashes', () => {
  it('verifies the right password and refuses others', async () => {
    const hash = await hashPassword('correct horse battery');
    expect(hash).toMatch(/^\$scrypt\$ln=14,r=8,p=1\$/);
    expect(await verifyPassword('correct horse battery', hash)).toBe(true);
    expect(await verifyPassword(Buffer.from('correct horse battery'), hash)).toBe(true);
    expect(await verifyPassword('correct horse batterY', hash)).toBe(false);
    expect(await verifyPassword('', hash)).toBe(false);
  });

  it('salts every hash', async () => {
    expect(await hashPassword('same')).not.toBe(await hashPassword('same'));
  });

  it('refuses a malformed hash instead of throwing', async () => {
    expect(await verifyPassword('x', 'plain-text')).toBe(false);
    expect(await verifyPassword('x', '$scrypt$ln=40,r=8,p=1$AAAA$AAAAAAAAAAAAAAAAAAAAAA==')).toBe(false);
  });
});

describe('password file', () => {
  it('round-trips through write and read, readable only by its owner', async () => {
    const dir = tempDir();
    const path = join(dir.path, 'sub', 'passwd');
    const users = new Map([
      ['bob', await hashPassword('bob-password')],
      ['alice', await hashPassword('alice-password')],
    ]);
    writePasswordFile(path, users);
    expect(statSync(path).mode & 0o777).toBe(0o600);
    const text = readFileSync(path, 'utf8');
    expect(text.indexOf('alice:')).toBeLessThan(text.indexOf('bob:'));
    const read = readPasswordFile(path);
    expect([...read.keys()].sort()).toEqual(['alice', 'bob']);
    expect(await verifyPassword('alice-password', read.get('alice')!)).toBe(true);
    dir.remove();
  });

  it('treats a missing file as no users', () => {
    expect(readPasswordFile('/nonexistent/wattbus/passwd').size).toBe(0);
  });

  it('reports every bad line with its number', async () => {
    const good = await hashPassword('password1');
    const dir = tempDir();
    const path = join(dir.path, 'passwd');
    writeFileSync(path, `# users\nalice:${good}\nbad name:${good}\nbob:plain\nalice:${good}\n`);
    try {
      readPasswordFile(path);
      expect.unreachable();
    } catch (error) {
      expect(error).toBeInstanceOf(ConfigError);
      expect((error as ConfigError).problems).toEqual([
        `${path}:3: username "bad name" must use only letters, digits and "_", ".", "@", "-"`,
        `${path}:4: the password of "bob" is not a wattbus scrypt hash; set it again with wattbus-broker-passwd`,
        `${path}:5: "alice" is listed twice`,
      ]);
    }
    dir.remove();
  });

  it('parses comments and blank lines', () => {
    expect(parsePasswordFile('\n# nothing\n\n', 'p').size).toBe(0);
  });
});
