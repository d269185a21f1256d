import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import ts from 'typescript';
import { ConversionCache } from './index';
import type { CachedConversion } from './index';

const run = promisify(execFile);

/** Transpiles this package's sources to CommonJS so that plain `node` child processes can load them. */
async function transpilePackage(outDirectory: string): Promise<void> {
  for (const name of await readdir(__dirname)) {
    if (!name.endsWith('.ts') || name.endsWith('.test.ts')) continue;
    const source = await readFile(path.join(__dirname, name), 'utf8');
    const output = ts.transpileModule(source, { compilerOptions: { module: ts.ModuleKind.CommonJS, target: ts.ScriptTarget.ES2022, esModuleInterop: true } });
    await writeFile(path.join(outDirectory, name.replace(/\.ts$/, '.js')), output.outputText);
  }
}

const childScript = `
const { existsSync } = require('node:fs');
const { writeFile } = require('node:fs/promises');
const path = require('node:path');
const { ConversionCache } = require(process.argv[2]);
(async () => {
  const [, , , cacheDirectory, barrierDirectory, label] = process.argv;
  const cache = new ConversionCache({ directory: cacheDirectory });
  const staging = await cache.beginConversion({ sourceId: 'org/model', revision: 'r1', options: { opset: 17 } });
  await writeFile(path.join(staging.directory, 'model.onnx'), 'converted by ' + label);
  await writeFile(path.join(barrierDirectory, label + '.ready'), '');
  while (!existsSync(path.join(barrierDirectory, 'go'))) await new Promise((resolve) => setTimeout(resolve, 5));
  const result = await staging.commit({ toolVersions: { node: process.version } });
  process.stdout.write(JSON.stringify(result));
})().catch((error) => { console.error(error); process.exit(1); });
`;

describe('ConversionCache across processes', () => {
  let root: string;
  beforeEach(async () => {
    root = await mkdtemp(path.join(os.tmpdir(), 'gpux-cache-processes-'));
  });
  afterEach(async () => {
    await rm(root, { recursive: true, force: true });
  });

  it('ends four processes committing one key at once with one good entry', async () => {
    const libraryDirectory = path.join(root, 'lib');
    const barrier = path.join(root, 'barrier');
    const cacheDirectory = path.join(root, 'cache');
    await mkdir(libraryDirectory);
    await mkdir(barrier);
    await transpilePackage(libraryDirectory);
    const scriptPath = path.join(root, 'child.cjs');
    await writeFile(scriptPath, childScript);

    const labels = ['a', 'b', 'c', 'd'];
    const environment = { ...process.env, NODE_PATH: path.resolve(__dirname, '../../../node_modules') };
    const children = labels.map((label) => run(process.execPath, [scriptPath, path.join(libraryDirectory, 'index.js'), cacheDirectory, barrier, label], { env: environment }));
    while ((await readdir(barrier)).length < labels.length) await new Promise((resolve) => setTimeout(resolve, 10));
    await writeFile(path.join(barrier, 'go'), '');
    const results = (await Promise.all(children)).map((child) => JSON.parse(child.stdout) as CachedConversion);

    const cache = new ConversionCache({ directory: cacheDirectory });
    const listed = await cache.listConversions();
    expect(listed).toHaveLength(1);
    const winner = listed[0]!;
    for (const result of results) expect(result).toEqual(winner);
    const bytes = await readFile(path.join(winner.directory, 'model.onnx'));
    expect(createHash('sha256').update(bytes).digest('hex')).toBe(winner.manifest.files[0]!.sha256);
    expect(labels.map((label) => `converted by ${label}`)).toContain(bytes.toString());
    expect(await readdir(path.join(cacheDirectory, '.staging'))).toEqual([]);
  });
});
