/** @type {import('jest').Config} */
module.exports = {
  ...require('../../jest.preset.js'),
  displayName: '@gpux/packaging-check',
  rootDir: __dirname,
  testTimeout: 600_000,
};
