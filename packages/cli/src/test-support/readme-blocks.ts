import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';

/** The repository root (packages/cli/src/test-support -> ../../../..). */
export const repositoryRoot = path.resolve(__dirname, '..', '..', '..', '..');

/** Every README.md of the repository (not node_modules, build output or hidden folders), sorted. Test helper. */
export async function findReadmes(directory: string = repositoryRoot): Promise<string[]> {
  const found: string[] = [];
  for (const entry of await readdir(directory, { withFileTypes: true })) {
    if (entry.name === 'node_modules' || entry.name === 'dist' || entry.name.startsWith('.')) continue;
    const full = path.join(directory, entry.name);
    if (entry.isDirectory()) found.push(...(await findReadmes(full)));
    else if (entry.name === 'README.md') found.push(full);
  }
  return found.sort();
}

/** One fenced code block of a README. */
export interface ReadmeBlock {
  /** The README, relative to the repository root. */
  readme: string;
  /** 1-based line of the opening fence. */
  line: number;
  language: string;
  code: string;
  /**
   * The text of an `<!-- example: ... -->` comment on the last non-empty line before the fence
   * (e.g. `skip: needs the network`, `cwd=repository-root`), if there is one.
   */
  marker?: string;
}

/** The fenced blocks of every README whose info string is one of `languages`. Test helper. */
export async function readmeBlocks(languages: readonly string[]): Promise<ReadmeBlock[]> {
  const blocks: ReadmeBlock[] = [];
  for (const readme of await findReadmes()) {
    const text = await readFile(readme, 'utf8');
    for (const match of text.matchAll(/^```([A-Za-z]+)[^\n]*\n([\s\S]*?)^```/gm)) {
      const language = match[1] ?? '';
      if (!languages.includes(language)) continue;
      const before = text.slice(0, match.index).split('\n');
      const previous = before.slice(0, -1).reverse().find((lineText) => lineText.trim() !== '') ?? '';
      const marker = /^<!--\s*example:\s*(.*?)\s*-->$/.exec(previous.trim())?.[1];
      blocks.push({ readme: path.relative(repositoryRoot, readme), line: before.length, language, code: match[2] ?? '', marker });
    }
  }
  return blocks;
}
