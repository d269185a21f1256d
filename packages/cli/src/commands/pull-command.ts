import { ConversionError, type ProgressEvent } from '@gpux/converter-core';
import type { ModelSnapshot, PullProgressEvent } from '@gpux/model-manager';
import type { Command } from 'commander';
import { createModelManagers } from '../create-model-managers';
import { drainWithRenderer, writeJsonResult } from '../drain-with-renderer';
import { formatBytes, ProgressRenderer } from '../output/progress-renderer';
import { runCommand } from '../run-command';

interface PullCliOptions {
  revision?: string;
  include?: string[];
  exclude?: string[];
  hubUrl?: string;
  token?: string;
  offline?: boolean;
  trustRemoteCode?: boolean;
  json?: boolean;
}

const collect = (value: string, previous: string[] = []): string[] => [...previous, ...value.split(',').filter((part) => part !== '')];

/** Maps the manager's pull events to the renderer's progress events (one `download` phase). */
async function* pullEvents(pull: AsyncGenerator<PullProgressEvent, ModelSnapshot, void>): AsyncGenerator<ProgressEvent, ModelSnapshot, void> {
  const started = performance.now();
  let downloading = false;
  for (;;) {
    const step = await pull.next();
    if (step.done) {
      if (downloading) yield { type: 'phase-end', phase: 'download', durationMs: Math.round(performance.now() - started) };
      return step.value;
    }
    const event = step.value;
    if (event.type === 'resolve') yield { type: 'message', phase: 'resolve', level: 'info', message: `Resolved ${event.id} to revision ${event.revision}` };
    else if (event.type === 'retry') yield { type: 'message', phase: 'download', level: 'warning', message: `Retrying ${event.path ?? 'request'} (attempt ${event.attempt}): ${event.reason}` };
    else if (event.type === 'bytes-progress') {
      if (!downloading) {
        downloading = true;
        yield { type: 'phase-start', phase: 'download' };
      }
      yield { type: 'bytes-progress', phase: 'download', transferredBytes: event.overallTransferredBytes, totalBytes: event.overallTotalBytes };
    } else if (event.type === 'file-end' && event.cached) yield { type: 'message', phase: 'download', level: 'debug', message: `${event.path} already cached` };
  }
}

/** `gpux-convert pull <id>`: downloads a model into the local hub cache (or hashes a local one). */
export function registerPullCommand(program: Command): void {
  program
    .command('pull')
    .description('Download a model from the hub into the local hub cache (same layout as Python huggingface_hub) and print where it is.')
    .argument('<id>', 'hub id org/name[@revision] (or hf:org/name), or a local model directory')
    .option('--revision <rev>', 'branch, tag or commit (default: the @revision of the id, else main)')
    .option('--include <globs>', 'only files matching these globs (comma list, repeatable)', collect)
    .option('--exclude <globs>', 'skip files matching these globs (comma list, repeatable)', collect)
    .option('--hub-url <url>', 'hub endpoint (default: $HF_ENDPOINT or https://huggingface.co)')
    .option('--token <token>', 'hub access token (default: $HF_TOKEN or the huggingface-cli token file)')
    .option('--offline', 'only read the local hub cache (also HF_HUB_OFFLINE=1)')
    .option('--trust-remote-code', 'allow models that need their own Python code')
    .option('--json', 'one JSON event per line on stdout, the result object last')
    .action(async (id: string, options: PullCliOptions) => {
      const json = Boolean(options.json);
      const renderer = new ProgressRenderer(ProgressRenderer.chooseMode(json));
      await runCommand(renderer, json, async ({ signal }) => {
        const manager = createModelManagers(options).find((candidate) => candidate.canHandle(id));
        if (manager === undefined) throw new ConversionError('UNSUPPORTED_FORMAT', `"${id}" is neither a hub id (org/name) nor an existing local path.`, { details: { id } });
        const snapshot = await drainWithRenderer(
          pullEvents(
            manager.pullModelIter(id, {
              revision: options.revision,
              include: options.include,
              exclude: options.exclude,
              signal,
            }),
          ),
          renderer,
        );
        renderer.stop();
        const totalBytes = snapshot.files.reduce((sum, file) => sum + file.size, 0);
        if (json) {
          writeJsonResult({ id: snapshot.id, revision: snapshot.revision, directory: snapshot.directory, totalBytes, files: snapshot.files });
          return;
        }
        process.stdout.write(`${snapshot.id}@${snapshot.revision}: ${snapshot.files.length} files, ${formatBytes(totalBytes)}\n${snapshot.directory}\n`);
      });
    });
}
