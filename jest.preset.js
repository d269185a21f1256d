// Shared jest settings for every package. Tests run TypeScript through ts-jest in transpile-only
// mode (type checking is the `typecheck` target's job), in a Node environment, and resolve sibling
// packages to their sources so a test never needs a prior build.
const path = require('node:path');

const packagesDirectory = path.join(__dirname, 'packages');

/** @type {import('jest').Config} */
module.exports = {
  // A Node environment whose typed-array constructors are the main realm's, so onnxruntime-node's
  // native outputs pass onnxruntime-common's instanceof checks (see the file).
  testEnvironment: path.join(__dirname, 'tools', 'jest-onnxruntime-environment.cjs'),
  testMatch: ['<rootDir>/src/**/*.test.ts', '<rootDir>/python/**/*.test.ts'],
  moduleFileExtensions: ['ts', 'js', 'json'],
  transform: {
    '^.+\\.ts$': [
      'ts-jest',
      { tsconfig: path.join(__dirname, 'tsconfig.jest.json') },
    ],
  },
  moduleNameMapper: {
    '^@gpux/([a-z-]+)$': path.join(packagesDirectory, '$1', 'src', 'index.ts'),
  },
  reporters: ['default', path.join(__dirname, 'tools', 'jest-results-reporter.cjs')],
  testTimeout: 120_000,
  maxWorkers: 1,
};
