import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Logger } from '@wattbus/shared';
import { describe, expect, it } from 'vitest';
import { tempDir } from '../../../../test/helpers/temp.js';
import { SessionOwners } from './session-owners.js';

function recordingLogger(): { logger: Logger; errors: string[] } {
  const errors: string[] = [];
  const logger = { error: (_fields: unknown, message: string) => errors.push(message) } as unknown as Logger;
  return { logger, errors };
}

describe('SessionOwners', () => {
  it('keeps owners in its file across instances, and forgets released ones', () => {
    const dir = tempDir();
    const file = join(dir.path, 'session-owners.json');
    const { logger, errors } = recordingLogger();
    const first = new SessionOwners(file, logger);
    first.claim('tablet', 'alice');
    first.claim('anonymous-one', '');
    first.claim('gone', 'bob');
    first.release('gone');
    const second = new SessionOwners(file, logger);
    expect([second.ownerOf('tablet'), second.ownerOf('anonymous-one'), second.ownerOf('gone')]).toEqual([
      'alice',
      '',
      undefined,
    ]);
    expect(JSON.parse(readFileSync(file, 'utf8'))).toEqual({ tablet: 'alice', 'anonymous-one': '' });
    expect(existsSync(`${file}.tmp`)).toBe(false);
    expect(errors).toEqual([]);
    dir.remove();
  });

  it('starts without owners, loudly, when its file is corrupt, and writes a good one at the next change', () => {
    const dir = tempDir();
    const file = join(dir.path, 'session-owners.json');
    for (const bad of ['{"tablet": ', '{"tablet": 5}', '[]']) {
      writeFileSync(file, bad);
      const { logger, errors } = recordingLogger();
      const owners = new SessionOwners(file, logger);
      expect(owners.ownerOf('tablet')).toBeUndefined();
      expect(errors).toEqual([expect.stringMatching(/unreadable and were ignored/)]);
      owners.claim('tablet', 'alice');
      expect(JSON.parse(readFileSync(file, 'utf8'))).toEqual({ tablet: 'alice' });
    }
    dir.remove();
  });

  it('holds owners in memory when it has no file or cannot write it', () => {
    const { logger, errors } = recordingLogger();
    const memory = new SessionOwners(undefined, logger);
    memory.claim('tablet', 'alice');
    expect(memory.ownerOf('tablet')).toBe('alice');
    const unwritable = new SessionOwners('/proc/wattbus-no-such-dir/session-owners.json', logger);
    unwritable.claim('tablet', 'alice');
    expect(unwritable.ownerOf('tablet')).toBe('alice');
    expect(errors).toEqual([expect.stringMatching(/cannot save the owners/)]);
  });
});
