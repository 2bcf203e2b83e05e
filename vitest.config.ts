import { defineConfig } from 'vitest/config';

// Three layers, one command: pure/unit and real-socket integration tests in Node, DOM unit tests in
// happy-dom, and browser tests that drive Debian's Chromium. The browser tests measure frame times
// and time budgets, so they run after the other two (groupOrder) and one file at a time: on two cores,
// WebRTC and fan-out tests running beside them would make those figures the machine's, not ours.
export default defineConfig({
  test: {
    projects: [
      {
        extends: true,
        test: {
          name: 'node',
          include: [
            'protocol/**/*.test.ts',
            'publisher/**/*.test.ts',
            'signaling/**/*.test.ts',
            'bench/**/*.test.ts',
            'tests/client/**/*.test.ts',
            'tests/adoption/**/*.test.ts',
            'tests/*.test.ts',
            'scripts/**/*.test.ts',
          ],
          environment: 'node',
          testTimeout: 30_000,
          sequence: { groupOrder: 0 },
        },
      },
      {
        extends: true,
        test: {
          name: 'dom',
          include: ['player/**/*.test.ts', 'admin-site/**/*.test.ts'],
          environment: 'happy-dom',
          testTimeout: 30_000,
          sequence: { groupOrder: 0 },
        },
      },
      {
        extends: true,
        test: {
          name: 'browser',
          // The package's tests too: they pack and install the package (one at a time, after the rest).
          include: ['tests/browser/**/*.test.ts', 'tests/package/**/*.test.ts'],
          environment: 'node',
          testTimeout: 120_000,
          hookTimeout: 120_000,
          fileParallelism: false,
          sequence: { groupOrder: 1 },
        },
      },
    ],
  },
});
