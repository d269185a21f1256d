// A jest reporter that, when GPUX_JEST_RESULTS_DIR is set, writes the run's counts to a JSON file
// there, so tools/test-all.sh can print one summary line for all packages.
const fs = require('node:fs');
const path = require('node:path');

class JestResultsReporter {
  constructor(globalConfig) {
    this.globalConfig = globalConfig;
  }

  onRunComplete(_contexts, results) {
    const directory = process.env.GPUX_JEST_RESULTS_DIR;
    if (!directory) return;
    const name = path.basename(this.globalConfig.rootDir) + '-' + process.pid + '.json';
    const summary = {
      numPassedTests: results.numPassedTests,
      numFailedTests: results.numFailedTests,
      numPendingTests: results.numPendingTests,
      numTodoTests: results.numTodoTests,
      numFailedTestSuites: results.numFailedTestSuites + (results.numRuntimeErrorTestSuites ?? 0),
    };
    fs.mkdirSync(directory, { recursive: true });
    fs.writeFileSync(path.join(directory, name), JSON.stringify(summary));
  }
}

module.exports = JestResultsReporter;
