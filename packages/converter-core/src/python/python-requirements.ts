import { readFile } from 'node:fs/promises';
import path from 'node:path';

import { ConversionError } from '../conversion-error';

/** One requirement line that names a package. */
export interface RequirementPin {
  /** The distribution name as written (`huggingface_hub`). */
  name: string;
  /** The version specifier without spaces (`==1.16.0`, `>=2,<3`), or "" when unpinned. */
  specifier: string;
  /** The environment marker after `;`, or "". */
  marker: string;
}

/** A requirements file, normalized for hashing and parsed into pins. */
export interface ParsedRequirements {
  /** Comment-free, trimmed lines (nested `-r` files inlined), joined with `\n`. */
  normalizedText: string;
  pins: RequirementPin[];
}

const pinPattern = /^([A-Za-z0-9][A-Za-z0-9._-]*)\s*(?:\[[^\]]*\])?\s*([^;]*?)\s*(?:;\s*(.*))?$/;

/**
 * Reads a pip requirements file: drops comments and blank lines, joins continuation lines, inlines
 * `-r`/`--requirement` files, and parses each package line into a {@link RequirementPin}. Option
 * lines (`--extra-index-url ...`) are kept in the normalized text, so changing them changes the hash.
 *
 * @throws ConversionError `PYTHON_ENVIRONMENT_FAILED` when the file (or a nested one) cannot be read.
 */
export async function readRequirements(requirementsFile: string, seen: ReadonlySet<string> = new Set()): Promise<ParsedRequirements> {
  const absolute = path.resolve(requirementsFile);
  if (seen.has(absolute)) return { normalizedText: '', pins: [] };
  let text: string;
  try {
    text = await readFile(absolute, 'utf8');
  } catch (error) {
    throw new ConversionError(
      'PYTHON_ENVIRONMENT_FAILED',
      `Cannot read the requirements file ${absolute}: ${(error as Error).message}. Reinstall the package that ships it.`,
      { cause: error, details: { requirementsFile: absolute } },
    );
  }
  const lines: string[] = [];
  const pins: RequirementPin[] = [];
  for (const line of logicalLines(text)) {
    const nested = /^(?:-r|--requirement)(?:\s+|=)(.+)$/.exec(line);
    if (nested?.[1] !== undefined) {
      const included = await readRequirements(path.resolve(path.dirname(absolute), nested[1].trim()), new Set([...seen, absolute]));
      if (included.normalizedText !== '') lines.push(included.normalizedText);
      pins.push(...included.pins);
      continue;
    }
    lines.push(line);
    if (line.startsWith('-')) continue;
    const match = pinPattern.exec(line);
    if (match?.[1] === undefined) continue;
    pins.push({ name: match[1], specifier: (match[2] ?? '').replace(/\s+/g, ''), marker: (match[3] ?? '').trim() });
  }
  return { normalizedText: lines.join('\n'), pins };
}

/** PEP 503 normalized name: lowercase, runs of `-`, `_`, `.` become `-`. */
export function canonicalPackageName(name: string): string {
  return name.toLowerCase().replace(/[-_.]+/g, '-');
}

function logicalLines(text: string): string[] {
  const joined = text.replace(/\\\r?\n/g, ' ');
  const result: string[] = [];
  for (const rawLine of joined.split(/\r?\n/)) {
    const withoutComment = rawLine.replace(/(^|\s)#.*$/, '').trim();
    if (withoutComment !== '') result.push(withoutComment.replace(/\s+/g, ' '));
  }
  return result;
}
