// --min-cosine is the accuracy budget of the integer variants: a strict budget keeps nodes in fp32
// (and the summary says which, and what they cost), a loose one quantizes them and the file shrinks.
import { mkdtemp, rm, stat } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { makeClientModel } from '../test-support/client-models';
import { runBuiltCli } from '../test-support/run-built-cli';

describe('gpux-convert convert --min-cosine', () => {
  let scratch: string;
  let source: string;
  beforeAll(async () => {
    scratch = await mkdtemp(path.join(os.tmpdir(), 'gpux-budget-'));
    source = path.join(scratch, 'bert');
    await makeClientModel('bert-embeddings', source);
  });
  afterAll(async () => {
    await rm(scratch, { recursive: true, force: true });
  });

  it('says what a strict budget kept in fp32 and how to trade it; a loose budget keeps nothing and writes a smaller int8', async () => {
    const strict = await runBuiltCli(['convert', source, '-o', path.join(scratch, 'strict'), '--quantize', 'int8', '--min-cosine', '0.9999999', '--no-latency']);
    expect(strict.exitCode).toBe(0);
    const kept = /quantize-int8 kept (\d+) nodes? in fp32 to stay within its accuracy budget/.exec(strict.stdout);
    expect(Number(kept?.[1])).toBeGreaterThan(0);
    expect(strict.stdout).toContain('lower the budget with --min-cosine');
    const loose = await runBuiltCli(['convert', source, '-o', path.join(scratch, 'loose'), '--quantize', 'int8', '--min-cosine', '0.9', '--no-latency']);
    expect(loose.exitCode).toBe(0);
    expect(loose.stdout).not.toContain('in fp32 to stay within');
    const size = async (directory: string): Promise<number> => (await stat(path.join(scratch, directory, 'onnx', 'model_int8.onnx'))).size;
    expect(await size('loose')).toBeLessThan(await size('strict'));
    const bad = await runBuiltCli(['convert', source, '--quantize', 'int8', '--min-cosine', '1.5']);
    expect(bad.exitCode).toBe(2);
  });
});
