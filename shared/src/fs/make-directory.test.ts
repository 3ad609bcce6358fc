import { existsSync, mkdirSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { tempDir } from '../../../test/helpers/temp.js';
import { makeDirectory } from './make-directory.js';

describe('makeDirectory', () => {
  const dirs: { remove(): void }[] = [];
  const scratch = () => {
    const dir = tempDir('wattbus-mkdir-');
    dirs.push(dir);
    return dir.path;
  };
  afterEach(() => {
    for (const dir of dirs.splice(0)) dir.remove();
  });

  it('creates every missing level, and accepts a directory that exists', () => {
    const root = scratch();
    makeDirectory(join(root, 'a', 'b', 'c'));
    expect(statSync(join(root, 'a', 'b', 'c')).isDirectory()).toBe(true);
    makeDirectory(join(root, 'a', 'b', 'c'));
    makeDirectory(root);
  });

  it('fails at once, with the error of mkdir, under /proc (where recursive mkdir never returns)', () => {
    const started = Date.now();
    expect(() => makeDirectory('/proc/wattbus-nope/store')).toThrow(/ENOENT/);
    expect(Date.now() - started).toBeLessThan(1000);
  });

  it('fails at once under a dangling symlink', () => {
    const root = scratch();
    symlinkSync(join(root, 'nowhere'), join(root, 'dangling'));
    expect(() => makeDirectory(join(root, 'dangling', 'store'))).toThrow(/ENOENT|EEXIST/);
  });

  it('reports a file in the way', () => {
    const root = scratch();
    writeFileSync(join(root, 'file'), '');
    expect(() => makeDirectory(join(root, 'file'))).toThrow(/EEXIST/);
    expect(() => makeDirectory(join(root, 'file', 'below'))).toThrow(/ENOTDIR/);
    mkdirSync(join(root, 'ok'));
    expect(existsSync(join(root, 'ok'))).toBe(true);
  });
});
