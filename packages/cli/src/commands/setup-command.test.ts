import fs from 'node:fs';
import { runBuiltCli } from '../test-support/run-built-cli';

describe('gpux-convert setup', () => {
  it('reuses complete environments: reports each interpreter and runs no pip', async () => {
    const run = await runBuiltCli(['setup', 'all', '--json']);
    expect(run.exitCode).toBe(0);
    const lines = run.stdout.trim().split('\n').map((line) => JSON.parse(line) as { type: string; event?: { type: string; message?: string }; environments?: Array<{ pythonExecutable: string; managed: boolean; requirementSet: string }> });
    const result = lines.at(-1)!;
    expect(result.type).toBe('result');
    expect(result.environments!.map((environment) => environment.requirementSet)).toEqual(['pytorch', 'tensorflow', 'tensorflow-transformers']);
    for (const environment of result.environments!) {
      expect(environment.managed).toBe(true);
      expect(fs.existsSync(environment.pythonExecutable)).toBe(true);
    }
    const pipMessages = lines.filter((line) => line.event?.type === 'message' && /Collecting|Installing/.test(line.event.message ?? ''));
    expect(pipMessages).toEqual([]);
  });

  it('rejects an unknown environment name with a usage error', async () => {
    const run = await runBuiltCli(['setup', 'jax']);
    expect(run.exitCode).toBe(2);
    expect(run.stderr).toContain('Unknown environment "jax"');
  });
});
