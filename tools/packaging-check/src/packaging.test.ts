/**
 * The packaging check: `npm pack` each public package, install the tarballs into a scratch project
 * outside the repository, then import (ESM) and require (CJS) each one, and type-check both forms
 * with `moduleResolution: node16`. This catches broken `exports` maps and missing `files`.
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { publicPackages } from './public-packages';

const repositoryRoot = path.resolve(__dirname, '..', '..', '..');
const typescriptCompiler = path.join(repositoryRoot, 'node_modules', 'typescript', 'bin', 'tsc');

function run(command: string, args: string[], cwd: string): string {
  return execFileSync(command, args, { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ONNXRUNTIME_NODE_INSTALL: 'skip' } });
}

describe('published packages', () => {
  let scratch: string;
  const tarballs = new Map<string, string>();

  beforeAll(() => {
    scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'gpux-packaging-'));
    const packDirectory = path.join(scratch, 'tarballs');
    fs.mkdirSync(packDirectory);
    for (const { folder, name } of publicPackages) {
      const packageDirectory = path.join(repositoryRoot, 'packages', folder);
      if (!fs.existsSync(path.join(packageDirectory, 'dist', 'index.js'))) {
        throw new Error(`${name} is not built: run \`npx nx run-many -t build\` first (the test target depends on ^build).`);
      }
      const output = run('npm', ['pack', '--json', '--pack-destination', packDirectory], packageDirectory);
      const [packed] = JSON.parse(output) as Array<{ filename: string }>;
      tarballs.set(name, path.join(packDirectory, packed!.filename));
    }
    const project = path.join(scratch, 'consumer');
    fs.mkdirSync(project);
    fs.writeFileSync(path.join(project, 'package.json'), JSON.stringify({ name: 'consumer', version: '1.0.0', private: true }));
    run('npm', ['install', '--no-audit', '--no-fund', '--prefer-offline', ...tarballs.values()], project);
  });

  afterAll(() => {
    if (scratch) fs.rmSync(scratch, { recursive: true, force: true });
  });

  const consumer = () => path.join(scratch, 'consumer');

  it.each(publicPackages.map((entry) => entry.name))('%s packs its dist, README and nothing from src or tests', (name) => {
    const listing = run('tar', ['-tzf', tarballs.get(name)!], scratch).split('\n').filter(Boolean);
    expect(listing).toEqual(expect.arrayContaining(['package/dist/index.js', 'package/dist/index.cjs', 'package/dist/index.d.ts', 'package/dist/index.d.cts', 'package/README.md', 'package/package.json']));
    expect(listing.filter((entry) => entry.includes('/src/') || entry.endsWith('.test.ts') || entry.endsWith('.test.js'))).toEqual([]);
  });

  it.each([
    ['@gpux/converter-core', ['package/python/gpux_bridge.py']],
    ['@gpux/pytorch-adapter', ['package/python/requirements.txt', 'package/python/export_model.py']],
    ['@gpux/tf-adapter', ['package/python/requirements.txt', 'package/python/requirements-transformers.txt', 'package/python/convert_model.py']],
  ])('%s ships the Python files it runs', (name, files) => {
    const listing = run('tar', ['-tzf', tarballs.get(name)!], scratch).split('\n').filter(Boolean);
    expect(listing).toEqual(expect.arrayContaining(files));
    expect(listing.filter((entry) => entry.includes('__pycache__') || entry.includes('/tests/') || entry.includes('test_fixtures'))).toEqual([]);
  });

  it('@gpux/onnx installs with no dependencies of its own (it sits below converter-core)', () => {
    const installed = JSON.parse(fs.readFileSync(path.join(consumer(), 'node_modules', '@gpux', 'onnx', 'package.json'), 'utf8')) as Record<string, unknown>;
    expect({ dependencies: installed.dependencies, peerDependencies: installed.peerDependencies }).toEqual({ dependencies: undefined, peerDependencies: undefined });
    const core = JSON.parse(fs.readFileSync(path.join(consumer(), 'node_modules', '@gpux', 'converter-core', 'package.json'), 'utf8')) as { dependencies: Record<string, string> };
    expect(core.dependencies['@gpux/onnx']).toBe(installed.version);
  });

  it.each(publicPackages.map((entry) => entry.name))('%s can be imported as ESM and required as CJS with the same exports', (name) => {
    const esmKeys = run('node', ['--input-type=module', '-e', `const m = await import(${JSON.stringify(name)}); console.log(JSON.stringify(Object.keys(m).filter((k) => k !== 'default').sort()));`], consumer());
    const cjsKeys = run('node', ['-e', `const m = require(${JSON.stringify(name)}); console.log(JSON.stringify(Object.keys(m).sort()));`], consumer());
    const esm = JSON.parse(esmKeys) as string[];
    expect(esm.length).toBeGreaterThan(0);
    expect(JSON.parse(cjsKeys)).toEqual(esm);
  });

  it('type-checks an ESM and a CJS consumer of every package under moduleResolution node16', () => {
    const project = consumer();
    const names = publicPackages.map((entry) => entry.name);
    fs.writeFileSync(path.join(project, 'esm-consumer.mts'), names.map((name, index) => `import * as p${index} from ${JSON.stringify(name)};\nexport const k${index} = Object.keys(p${index});`).join('\n'));
    fs.writeFileSync(path.join(project, 'cjs-consumer.cts'), names.map((name, index) => `import p${index} = require(${JSON.stringify(name)});\nexport const k${index} = Object.keys(p${index});`).join('\n'));
    fs.writeFileSync(
      path.join(project, 'tsconfig.json'),
      JSON.stringify({ compilerOptions: { module: 'node16', moduleResolution: 'node16', strict: true, noEmit: true, skipLibCheck: true, types: [] }, files: ['esm-consumer.mts', 'cjs-consumer.cts'] }),
    );
    // Throws (failing the test) with tsc's diagnostics if any declaration file is missing or broken.
    expect(() => run('node', [typescriptCompiler, '-p', 'tsconfig.json'], project)).not.toThrow();
  });

  it('installs the gpux-convert bin, which prints its version', () => {
    const version = run(path.join(consumer(), 'node_modules', '.bin', 'gpux-convert'), ['--version'], consumer()).trim();
    const cliPackage = JSON.parse(fs.readFileSync(path.join(repositoryRoot, 'packages', 'cli', 'package.json'), 'utf8')) as { version: string };
    expect(version).toBe(cliPackage.version);
  });
});
