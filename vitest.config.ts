import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['**/*.test.ts'],
    exclude: ['**/node_modules/**', '**/dist/**'],
    // Many tests start real processes and brokers; generous timeouts keep a loaded CI machine from flaking.
    testTimeout: 60_000,
    hookTimeout: 60_000,
    pool: 'forks',
    // CI machines have 2 cores and most tests start several processes each.
    maxWorkers: 2,
  },
});
