// Sums the jest JSON result files that each package's test run wrote (see jest.preset.js) and
// prints one closing line: "Tests: N passed, N failed, N skipped".
const fs = require('node:fs');
const path = require('node:path');

const directory = process.argv[2];
let passed = 0;
let failed = 0;
let skipped = 0;
let failedSuites = 0;
for (const name of fs.existsSync(directory) ? fs.readdirSync(directory) : []) {
  if (!name.endsWith('.json')) continue;
  const result = JSON.parse(fs.readFileSync(path.join(directory, name), 'utf8'));
  passed += result.numPassedTests;
  failed += result.numFailedTests;
  skipped += result.numPendingTests + (result.numTodoTests ?? 0);
  failedSuites += result.numFailedTestSuites;
}
if (failedSuites > 0) console.log(`${failedSuites} test suite(s) failed to run or had failures.`);
console.log(`Tests: ${passed} passed, ${failed + (failed === 0 ? failedSuites : 0)} failed, ${skipped} skipped`);
