import { mkdirSync, statSync } from 'node:fs';
import { dirname, resolve } from 'node:path';

/**
 * `mkdir -p`, without Node's recursive mkdir. `mkdirSync(path, { recursive: true })` never returns (a synchronous
 * loop at 100 % CPU that not even SIGTERM ends) when a parent exists but cannot hold the child and answers ENOENT:
 * any path under /proc or /sys, a dangling symlink, a stale mount (a Node.js core bug, still in Node 22). A
 * misconfigured data directory must give a clear error instead. This creates the missing directories one level at
 * a time and throws the first error as Node's own mkdir error (code, syscall, path).
 */
export function makeDirectory(path: string): void {
  const missing: string[] = [];
  let current = resolve(path);
  for (;;) {
    try {
      statSync(current);
      break; // exists (if it is not a directory, mkdir below reports ENOTDIR or EEXIST)
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    }
    missing.push(current);
    const parent = dirname(current);
    if (parent === current) break;
    current = parent;
  }
  for (const directory of missing.reverse()) {
    try {
      mkdirSync(directory);
    } catch (error) {
      // Created in the meantime by someone else: fine, as with mkdir -p.
      if ((error as NodeJS.ErrnoException).code === 'EEXIST' && statSync(directory).isDirectory()) continue;
      throw error;
    }
  }
  // Nothing was missing, but a file stands where the directory should be: let mkdir say so (EEXIST).
  if (missing.length === 0 && !statSync(current).isDirectory()) mkdirSync(current);
}
