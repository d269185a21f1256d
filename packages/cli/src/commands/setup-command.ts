import { ensurePythonEnvironmentIter } from '@gpux/converter-core';
import type { Command } from 'commander';
import { ProgressRenderer } from '../output/progress-renderer';
import { selectRequirementSets } from '../requirement-sets';
import { runCommand } from '../run-command';

interface SetupOptions {
  cacheDir?: string;
  python?: string;
  rebuild?: boolean;
  json?: boolean;
}

/** `gpux-convert setup [pytorch|tensorflow|tensorflow-transformers|all|gpux]`: builds (or repairs) the managed Python environments. */
export function registerSetupCommand(program: Command): void {
  program
    .command('setup')
    .description('Build the managed Python environments (reused when complete, repaired when broken).')
    .argument('[environment]', 'pytorch, tensorflow, tensorflow-transformers, all (those three) or gpux (the GPUX runtime that runs gpux.yml; not part of all)', 'all')
    .option('--cache-dir <dir>', 'GPUX cache root (default: $GPUX_CACHE_DIR or ~/.cache/gpux)')
    .option('--python <path>', 'base Python interpreter used to create the environments', undefined)
    .option('--rebuild', 'rebuild even when complete')
    .option('--json', 'one JSON event per line on stdout')
    .action(async (environment: string, options: SetupOptions) => {
      const renderer = new ProgressRenderer(ProgressRenderer.chooseMode(Boolean(options.json)));
      await runCommand(renderer, Boolean(options.json), async ({ signal }) => {
        const results = [];
        for (const requirements of selectRequirementSets(environment)) {
          const iterator = ensurePythonEnvironmentIter(requirements, {
            ...(options.cacheDir ? { cacheDirectory: options.cacheDir } : {}),
            ...(options.python ? { basePython: options.python } : {}),
            verify: true,
            rebuild: Boolean(options.rebuild),
            signal,
          });
          for (;;) {
            const step = await iterator.next();
            if (step.done) {
              results.push(step.value);
              renderer.log(`${requirements.name}: ${step.value.pythonExecutable}${step.value.managed ? '' : ' (your own interpreter)'}`);
              break;
            }
            renderer.handle(step.value);
          }
        }
        if (options.json) process.stdout.write(JSON.stringify({ type: 'result', environments: results }) + '\n');
      });
    });
}
