/**
 * Runs the pytest suite of converter-core's own Python modules (python/tests: gpux_bridge.py and
 * gpux_inspect_environment.py) with the machine's python3, so `npm run test:all` covers them too.
 */
import { spawnSync } from 'node:child_process';
import path from 'node:path';

const pythonDirectory = path.resolve(__dirname, '..', '..', 'python');

describe('Python unit tests of the bridge modules', () => {
  it('pass under pytest', () => {
    const result = spawnSync('python3', ['-m', 'pytest', '-q', '--color=no', '-p', 'no:cacheprovider', path.join(pythonDirectory, 'tests')], { encoding: 'utf8', env: { ...process.env, PYTHONDONTWRITEBYTECODE: '1' } });
    if (result.error) throw new Error(`python3 could not be started: ${result.error.message}. Install Python 3 with pytest (python3 -m pip install pytest).`);
    const summary = result.stdout.trim().split('\n').at(-1) ?? '';
    // On failure, the message shows pytest's own report.
    const output = result.stdout.slice(-4000) + result.stderr.slice(-2000);
    expect({ status: result.status, output }).toEqual({ status: 0, output });
    expect(summary).toMatch(/^\d+ passed/);
  });
});
