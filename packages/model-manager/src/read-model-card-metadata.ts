/** The fields of a model card's YAML front matter that the managers use. */
export interface ModelCardMetadata {
  license?: string;
  pipelineTag?: string;
  libraryName?: string;
  tags: string[];
}

/**
 * Reads `license`, `pipeline_tag`, `library_name` and `tags` from the YAML front matter of a
 * model card (README.md). Only the flat subset the hub writes is understood: `key: value` lines
 * and `key:` followed by `- item` lines. Anything else is ignored.
 *
 * @param readme - The README text.
 * @example
 * ```ts
 * parseModelCardMetadata('---\nlicense: mit\ntags:\n- bert\n---\n# Model'); // { license: 'mit', tags: ['bert'] }
 * ```
 */
export function parseModelCardMetadata(readme: string): ModelCardMetadata {
  const result: ModelCardMetadata = { tags: [] };
  const match = /^\uFEFF?---\r?\n([\s\S]*?)\r?\n---\s*(?:\r?\n|$)/.exec(readme);
  if (!match?.[1]) return result;
  let listKey: string | undefined;
  const scalars = new Map<string, string>();
  for (const line of match[1].split(/\r?\n/)) {
    const item = /^\s*-\s+(.+?)\s*$/.exec(line);
    if (item?.[1] !== undefined && listKey === 'tags') {
      result.tags.push(unquote(item[1]));
      continue;
    }
    const pair = /^([A-Za-z_][\w-]*)\s*:\s*(.*?)\s*$/.exec(line);
    if (pair?.[1] === undefined) continue;
    listKey = pair[2] === '' ? pair[1] : undefined;
    if (pair[2] !== undefined && pair[2] !== '') scalars.set(pair[1], unquote(pair[2]));
    if (pair[1] === 'tags' && pair[2]?.startsWith('[')) {
      result.tags.push(...pair[2].replace(/^\[|\]$/g, '').split(',').map((tag) => unquote(tag.trim())).filter((tag) => tag !== ''));
    }
  }
  const license = scalars.get('license');
  const pipelineTag = scalars.get('pipeline_tag');
  const libraryName = scalars.get('library_name');
  if (license !== undefined) result.license = license;
  if (pipelineTag !== undefined) result.pipelineTag = pipelineTag;
  if (libraryName !== undefined) result.libraryName = libraryName;
  return result;
}

function unquote(value: string): string {
  const trimmed = value.replace(/\s+#.*$/, '').trim();
  return /^(['"]).*\1$/.test(trimmed) ? trimmed.slice(1, -1) : trimmed;
}
