import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { ConversionCache, LocalModelManager } from '@gpux/model-manager';
import type { ConverterAdapter, ExportRequest, ExportResult } from '../adapter';
import type { ProgressEvent } from '../progress-event';
import { runPythonScriptIter } from '../python/run-python-script';
import { batchJobName, uniqueBatchJobNames } from './batch-job-record';
import type { BatchEvent, BatchResult, ConvertBatchOptions } from './batch-types';
import { convertBatch, convertBatchIter } from './convert-batch';
import { LinearTestAdapter } from './test-support/linear-test-adapter';

const fixture = path.join(__dirname, '..', 'python', 'fixtures', 'bridge_fixture.py');

/**
 * The linear test adapter behind a real Python step: each export first runs the bridge fixture (on
 * the batch's warm workers when the request carries them) and records the pid that served it. A
 * source folder holding `hang` makes that step hang until cancelled.
 */
class PythonBackedTestAdapter implements ConverterAdapter {
  readonly specificationVersion = 'v1' as const;
  readonly name = 'python-backed-test';
  readonly framework = 'pytorch' as const;
  readonly pids: number[] = [];
  private readonly linear = new LinearTestAdapter();

  detect(source: Parameters<ConverterAdapter['detect']>[0]) {
    return this.linear.detect(source);
  }

  async *export(request: ExportRequest): AsyncGenerator<ProgressEvent, ExportResult, void> {
    const hang = existsSync(path.join(request.source.path, 'hang'));
    const python = runPythonScriptIter<unknown>({
      pythonExecutable: 'python3',
      scriptPath: fixture,
      request: { mode: hang ? 'hang' : 'happy' },
      workers: request.pythonWorkers,
      signal: request.signal,
    });
    for (;;) {
      const step = await python.next();
      if (step.done) break;
      const pid = step.value.type === 'message' ? /^pid=(\d+)$/.exec(step.value.message)?.[1] : undefined;
      if (pid !== undefined) this.pids.push(Number(pid));
      yield step.value;
    }
    return yield* this.linear.export(request);
  }
}

let root: string;
let adapter: PythonBackedTestAdapter;

beforeEach(async () => {
  root = await mkdtemp(path.join(os.tmpdir(), 'gpux-batch-test-'));
  adapter = new PythonBackedTestAdapter();
});

afterEach(async () => {
  await rm(root, { recursive: true, force: true });
});

async function linearSource(name: string, hang = false): Promise<string> {
  const directory = path.join(root, 'models', name);
  await mkdir(directory, { recursive: true });
  await writeFile(path.join(directory, 'linear.json'), JSON.stringify({ name }));
  if (hang) await writeFile(path.join(directory, 'hang'), '');
  return directory;
}

function batchOptions(jobs: ConvertBatchOptions['jobs'], extra: Partial<ConvertBatchOptions> = {}): ConvertBatchOptions {
  return {
    jobs,
    defaults: { adapters: [adapter], modelManagers: [new LocalModelManager()], cache: new ConversionCache({ directory: path.join(root, 'cache') }) },
    outputRoot: path.join(root, 'out'),
    ...extra,
  };
}

async function runBatch(options: ConvertBatchOptions, onEvent?: (event: BatchEvent, controller: AbortController) => void): Promise<{ result: BatchResult; events: BatchEvent[] }> {
  const events: BatchEvent[] = [];
  const controller = new AbortController();
  const result = await convertBatch({
    ...options,
    signal: controller.signal,
    onEvent: (event) => {
      events.push(event);
      onEvent?.(event, controller);
    },
  });
  return { result, events };
}

describe('convertBatchIter', () => {
  it('converts every job on warm workers, records a failure without stopping the others, and skips done jobs the second time', async () => {
    const sources = [await linearSource('a'), await linearSource('b'), path.join(root, 'models', 'missing'), await linearSource('c')];
    const jobs = sources.map((source) => ({ source }));
    const first = await runBatch(batchOptions(jobs, { concurrency: 2 }));
    expect(first.result.jobs.map((job) => [job.name, job.status, job.error?.code])).toEqual([
      ['a', 'converted', undefined],
      ['b', 'converted', undefined],
      ['missing', 'failed', 'SOURCE_NOT_FOUND'],
      ['c', 'converted', undefined],
    ]);
    expect(first.result.counts).toMatchObject({ converted: 3, failed: 1, cached: 0 });
    for (const name of ['a', 'b', 'c']) {
      const record = first.result.jobs.find((job) => job.name === name)!;
      expect(record.directory).toBe(path.join(root, 'out', name));
      expect(existsSync(path.join(root, 'out', name, 'onnx', 'model.onnx'))).toBe(true);
      expect(record.files).toEqual([{ path: 'onnx/model.onnx', variant: 'fp32', bytes: expect.any(Number) as number }]);
      expect(record.files![0]!.bytes).toBeGreaterThan(100);
      expect(record.totalBytes).toBeGreaterThan(record.files![0]!.bytes);
      expect(record.validation).toEqual([{ path: 'onnx/model.onnx', variant: 'fp32', status: 'passed' }]);
    }
    // Two lanes, two workers at most: three Python steps ran on them, so at least one was warm.
    expect(new Set(adapter.pids).size).toBeLessThanOrEqual(2);
    expect(adapter.pids).toHaveLength(3);
    expect(first.result.workers).toMatchObject({ requests: 3, lost: 0, alive: 0 });
    expect(first.result.workers!.warmRequests).toBeGreaterThanOrEqual(1);
    const ends = first.events.filter((event) => event.type === 'job-end');
    expect(ends.map((event) => event.completed)).toEqual([1, 2, 3, 4]);
    expect(first.events[0]).toEqual({ type: 'batch-start', total: 4, concurrency: 2 });
    expect(first.events.some((event) => event.type === 'job-progress' && event.job === 'b' && event.event.type === 'phase-start')).toBe(true);

    const second = await runBatch(batchOptions(jobs, { concurrency: 2 }));
    expect(second.result.jobs.map((job) => job.status)).toEqual(['cached', 'cached', 'failed', 'cached']);
    expect(adapter.pids).toHaveLength(3);
  });

  it('stops on abort: the running job is cancelled and leaves nothing, the rest are not started, and the next run resumes', async () => {
    const jobs = [{ source: await linearSource('first') }, { source: await linearSource('stuck', true) }, { source: await linearSource('later') }];
    const cancelled = await runBatch(batchOptions(jobs), (event, controller) => {
      if (event.type === 'job-progress' && event.job === 'stuck' && event.event.type === 'message' && event.event.message === 'hanging') controller.abort();
    });
    expect(cancelled.result.cancelled).toBe(true);
    expect(cancelled.result.jobs.map((job) => [job.name, job.status, job.error?.code])).toEqual([
      ['first', 'converted', undefined],
      ['stuck', 'cancelled', 'CANCELLED'],
      ['later', 'not-started', undefined],
    ]);
    expect((await readdir(path.join(root, 'out'))).sort()).toEqual(['first']);

    // The stuck model is fixed; the batch runs again and does only what is left.
    await rm(path.join(root, 'models', 'stuck', 'hang'));
    const resumed = await runBatch(batchOptions(jobs));
    expect(resumed.result.jobs.map((job) => job.status)).toEqual(['cached', 'converted', 'converted']);
    expect((await readdir(path.join(root, 'out'))).sort()).toEqual(['first', 'later', 'stuck']);
  });

  it('kills the running Python worker when the consumer stops iterating early', async () => {
    const iterator = convertBatchIter(batchOptions([{ source: await linearSource('stuck', true) }]));
    for (;;) {
      const step = await iterator.next();
      if (step.done) throw new Error('the batch ended');
      if (step.value.type === 'job-progress' && step.value.event.type === 'percent') break;
    }
    await iterator.return(undefined as never);
    const pid = adapter.pids[0]!;
    expect(() => process.kill(pid, 0)).toThrow();
    expect(existsSync(path.join(root, 'out', 'stuck'))).toBe(false);
  });

  it('names jobs after their sources, uniquely, and rejects bad options', async () => {
    expect(batchJobName('sentence-transformers/all-MiniLM-L6-v2')).toBe('sentence-transformers--all-MiniLM-L6-v2');
    expect(batchJobName('hf:org/name@v2')).toBe('org--name@v2');
    expect(batchJobName('./models/resnet50.onnx')).toBe('resnet50');
    expect(batchJobName('/data/my model/')).toBe('my-model');
    expect(uniqueBatchJobNames([{ source: './a.onnx' }, { source: './x/a.onnx' }, { source: 'b', name: 'a' }])).toEqual(['a', 'a-2', 'a-3']);
    await expect(convertBatch(batchOptions([], { concurrency: 0 }))).rejects.toThrow(RangeError);
    await expect(convertBatch(batchOptions([{ source: 42 as never }]))).rejects.toThrow(/jobs\[0\]\.source/);
  });
});
