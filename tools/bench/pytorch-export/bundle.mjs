// Bundles bench-child.ts with esbuild into OUTFILE. The @gpux/* sources find their package folders
// (python/ scripts, requirements.txt) from __dirname, so each source file's __dirname is replaced by
// its own folder instead of the bundle's.
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

import { build } from 'esbuild';

const here = path.dirname(fileURLToPath(import.meta.url));
const repo = path.resolve(here, '..', '..', '..');
const [outfile] = process.argv.slice(2);
if (outfile === undefined) throw new TypeError('usage: node bundle.mjs OUTFILE');

const sourceDirname = {
  name: 'source-dirname',
  setup(builder) {
    builder.onLoad({ filter: /[/\\]packages[/\\][^/\\]+[/\\]src[/\\].*\.ts$/ }, async (args) => ({
      contents: (await readFile(args.path, 'utf8')).replaceAll('__dirname', JSON.stringify(path.dirname(args.path))),
      loader: 'ts',
    }));
  },
};

await build({
  entryPoints: [path.join(here, 'bench-child.ts')],
  bundle: true,
  platform: 'node',
  format: 'cjs',
  logLevel: 'warning',
  external: ['onnxruntime-node'],
  tsconfig: path.join(repo, 'tsconfig.base.json'),
  outfile,
  plugins: [sourceDirname],
});
