import { createHash } from 'node:crypto';

const plainSegment = /^[A-Za-z0-9][A-Za-z0-9._-]{0,95}$/;
const windowsReservedName = /^(con|prn|aux|nul|com\d|lpt\d)(\..*)?$/i;

/**
 * Maps a source id or revision to one safe directory name, so that no id can escape the cache
 * (`..`, absolute paths, backslashes, NUL) and two different ids never share a directory.
 *
 * - A plain name (letters, digits, `.`, `_`, `-`, starting with a letter or digit, no `--`) is kept.
 * - `org/name` made of two plain names becomes `org--name` (like the hub cache's `models--org--name`).
 * - Anything else becomes `_<readable tail>.<16 hex digits of sha256>`; the leading `_` keeps these
 *   apart from the two forms above.
 */
export function toCachePathSegment(value: string): string {
  if (isPlain(value)) return value;
  const parts = value.split('/');
  if (parts.length === 2 && parts.every(isPlain)) return `${parts[0]}--${parts[1]}`;
  const readable = value.replace(/[^A-Za-z0-9._-]+/g, '-').replace(/^[-.]+|[-.]+$/g, '').slice(-48);
  return `_${readable}.${createHash('sha256').update(value).digest('hex').slice(0, 16)}`;
}

function isPlain(value: string): boolean {
  return plainSegment.test(value) && !value.includes('--') && !value.endsWith('.') && !windowsReservedName.test(value);
}
