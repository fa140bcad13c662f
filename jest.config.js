// Three tiers: small unit tests beside the code (src/**/*.spec.ts), medium tests under
// test/ that talk to the real PostgreSQL and Redis, and browser tests under test/e2e. @swc/jest
// keeps decorator metadata, which type-graphql needs, and is far faster than ts-jest.
const swc = [
  '@swc/jest',
  {
    jsc: {
      parser: { syntax: 'typescript', decorators: true },
      transform: { legacyDecorator: true, decoratorMetadata: true },
      target: 'es2022',
    },
    module: { type: 'commonjs' },
  },
];

module.exports = {
  // Fixtures hash passwords (argon2) and talk to PostgreSQL and Redis: on a busy 2-core machine a
  // hook can take longer than jest's default of 5 s without anything being wrong. Jest reads this
  // setting only here, at the top level; inside a project it would be ignored.
  testTimeout: 20_000,
  projects: [
    {
      displayName: 'unit',
      testEnvironment: 'node',
      // The console's pure helpers (formatting, deadlines) and the benchmarks' support (the perf
      // budget's verdicts) are specified beside them too.
      roots: ['<rootDir>/src', '<rootDir>/console/src', '<rootDir>/bench'],
      testMatch: ['**/*.spec.ts'],
      transform: { '^.+\\.ts$': swc },
    },
    {
      displayName: 'medium',
      testEnvironment: 'node',
      roots: ['<rootDir>/test'],
      testMatch: ['**/*.test.ts'],
      transform: { '^.+\\.ts$': swc },
      globalSetup: '<rootDir>/test/support/global-setup.ts',
      setupFiles: ['<rootDir>/test/support/test-env.ts'],
    },
    {
      // Browser tests: Debian's Chromium (playwright-core) against the real API serving the console
      // build, a real worker and a fake vLLM node. Named *.e2e.ts so the medium project skips them.
      displayName: 'e2e',
      testEnvironment: 'node',
      roots: ['<rootDir>/test/e2e'],
      testMatch: ['**/*.e2e.ts'],
      transform: { '^.+\\.ts$': swc },
      globalSetup: '<rootDir>/test/support/global-setup.ts',
      setupFiles: ['<rootDir>/test/support/test-env.ts'],
    },
  ],
};
