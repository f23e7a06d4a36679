import { defineConfig } from 'vitest/config';

// Two projects: `unit` for pure functions (no I/O), `integration` for everything that talks to
// the real Postgres, Redis, SMTP or Chromium. Each integration file makes its own database and
// queue prefix, so files run in parallel.
export default defineConfig({
  test: {
    // Vitest's default is one fewer than the cores: one file at a time on a 2-core machine.
    // Integration files mostly wait (on Postgres, Redis, SMTP, child processes, Chromium), and
    // each has its own database and queue prefix, so two run side by side.
    maxWorkers: 2,
    projects: [
      {
        test: {
          name: 'unit',
          include: ['test/unit/**/*.test.ts'],
          environment: 'node',
        },
      },
      {
        test: {
          name: 'integration',
          include: ['test/integration/**/*.test.ts'],
          environment: 'node',
          testTimeout: 60_000,
          hookTimeout: 60_000,
          pool: 'forks',
        },
      },
    ],
  },
});
