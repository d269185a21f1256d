import picomatch from 'picomatch';

function compile(patterns: readonly string[] | undefined, name: string): ((path: string) => boolean) | undefined {
  if (patterns === undefined) return undefined;
  const list: readonly unknown[] = Array.isArray(patterns) ? patterns : [undefined];
  const valid = list.filter((pattern): pattern is string => typeof pattern === 'string' && pattern !== '');
  if (valid.length !== list.length) {
    throw new TypeError(`"${name}" must be an array of non-empty glob patterns, received ${JSON.stringify(patterns)}`);
  }
  // A pattern ending in "/" means everything under that folder, as in huggingface_hub.
  const expanded = valid.map((pattern) => (pattern.endsWith('/') ? `${pattern}**` : pattern));
  return picomatch(expanded, { dot: true });
}

/**
 * Keeps the repo paths matching any `include` pattern (all when absent) and no `exclude` pattern.
 * Patterns are globs (`*` within a segment, `**` across segments, `?`); `dir/` means `dir/**`.
 *
 * @throws TypeError when a pattern list is not an array of non-empty strings.
 */
export function matchRepoFiles<T extends { path: string }>(entries: readonly T[], include?: readonly string[], exclude?: readonly string[]): T[] {
  const included = compile(include, 'include');
  const excluded = compile(exclude, 'exclude');
  return entries.filter((entry) => (included === undefined || included(entry.path)) && (excluded === undefined || !excluded(entry.path)));
}
