import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import ts from 'typescript';
import { readmeBlocks, repositoryRoot, type ReadmeBlock } from './test-support/readme-blocks';

async function typescriptExamples(): Promise<ReadmeBlock[]> {
  return readmeBlocks(['ts']);
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
    const files = new Map<string, ReadmeBlock>();
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
