import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import ts from 'typescript';

const repositoryRoot = path.resolve(__dirname, '..', '..', '..');

/** Every README.md of the repository (not node_modules or build output). */
async function findReadmes(directory: string): Promise<string[]> {
  const found: string[] = [];
  for (const entry of await readdir(directory, { withFileTypes: true })) {
    if (entry.name === 'node_modules' || entry.name === 'dist' || entry.name.startsWith('.')) continue;
    const full = path.join(directory, entry.name);
    if (entry.isDirectory()) found.push(...(await findReadmes(full)));
    else if (entry.name === 'README.md') found.push(full);
  }
  return found;
}

interface Example {
  readme: string;
  line: number;
  code: string;
}

async function typescriptExamples(): Promise<Example[]> {
  const examples: Example[] = [];
  for (const readme of (await findReadmes(repositoryRoot)).sort()) {
    const text = await readFile(readme, 'utf8');
    for (const match of text.matchAll(/^```ts\n([\s\S]*?)^```/gm)) {
      examples.push({ readme: path.relative(repositoryRoot, readme), line: text.slice(0, match.index).split('\n').length, code: match[1] ?? '' });
    }
  }
  return examples;
}

describe('README examples', () => {
  let scratch: string;

  beforeAll(async () => {
    scratch = await mkdtemp(path.join(os.tmpdir(), 'gpux-readme-examples-'));
  });

  afterAll(async () => {
    await rm(scratch, { recursive: true, force: true });
  });

  it('every ```ts block of every README type-checks against the packages, as an ES module', async () => {
    const examples = await typescriptExamples();
    expect(examples.length).toBeGreaterThanOrEqual(10);
    const files = new Map<string, Example>();
    for (const [index, example] of examples.entries()) {
      const file = path.join(scratch, `${example.readme.replace(/[/\\.]/g, '-')}-${index}.mts`);
      // As a user's `.mjs` / `"type": "module"` file: top-level await works, nothing else is added.
      await writeFile(file, example.code);
      files.set(file, example);
    }
    const base = ts.readConfigFile(path.join(repositoryRoot, 'tsconfig.base.json'), (file) => ts.sys.readFile(file));
    const parsed = ts.parseJsonConfigFileContent(base.config, ts.sys, repositoryRoot);
    const options: ts.CompilerOptions = { ...parsed.options, noEmit: true, declaration: false, sourceMap: false, types: ['node'], module: ts.ModuleKind.ESNext, moduleResolution: ts.ModuleResolutionKind.Bundler };
    const program = ts.createProgram([...files.keys()], options);
    const problems = ts
      .getPreEmitDiagnostics(program)
      .filter((diagnostic) => diagnostic.file !== undefined && files.has(path.normalize(diagnostic.file.fileName)))
      .map((diagnostic) => {
        const example = files.get(path.normalize(diagnostic.file!.fileName))!;
        const { line } = diagnostic.file!.getLineAndCharacterOfPosition(diagnostic.start ?? 0);
        return `${example.readme}:${example.line + 1 + line}: ${ts.flattenDiagnosticMessageText(diagnostic.messageText, '\n')}`;
      });
    expect(problems).toEqual([]);
  });
});
