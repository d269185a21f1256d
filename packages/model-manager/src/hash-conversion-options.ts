import { createHash } from 'node:crypto';

/** Option keys whose values are secrets (compared case-insensitively); they are never hashed or stored. */
const secretKeys = new Set(['token', 'authorization', 'password', 'accesstoken', 'hftoken', 'hf_token', 'apikey', 'api_key', 'secret']);

/** True for an option key that holds a secret (`token`, `Authorization`, `password`, ...). */
export function isSecretOptionKey(key: string): boolean {
  return secretKeys.has(key.toLowerCase());
}

/**
 * Returns a JSON-safe copy of `options` with object keys sorted, `undefined` values and secret keys
 * (at any depth) dropped, and `toJSON` applied (dates become ISO strings). Arrays keep their order;
 * non-finite numbers become `null`, as in JSON.
 *
 * @throws TypeError for a bigint, a symbol-keyed-only value or a cycle, naming the key path.
 */
export function canonicalizeOptions(options: Record<string, unknown>): Record<string, unknown> {
  return canonicalize(options, 'options', new Set()) as Record<string, unknown>;
}

/** sha256 of the canonical JSON of `options`, 16 hex digits. */
export function hashConversionOptions(options: Record<string, unknown>): string {
  return createHash('sha256').update(JSON.stringify(canonicalizeOptions(options))).digest('hex').slice(0, 16);
}

function canonicalize(value: unknown, where: string, ancestors: Set<object>): unknown {
  if (value === null || typeof value === 'string' || typeof value === 'boolean') return value;
  if (typeof value === 'number') return Number.isFinite(value) ? value : null;
  if (typeof value === 'bigint') throw new TypeError(`Expected JSON-compatible conversion options, but ${where} is a bigint; pass it as a string or number.`);
  if (typeof value !== 'object') return undefined;
  const withJson = value as { toJSON?: () => unknown };
  if (typeof withJson.toJSON === 'function') return canonicalize(withJson.toJSON(), where, ancestors);
  if (ancestors.has(value)) throw new TypeError(`Expected JSON-compatible conversion options, but ${where} refers back to itself.`);
  ancestors.add(value);
  try {
    if (Array.isArray(value)) {
      return value.map((item, index) => canonicalize(item, `${where}[${index}]`, ancestors) ?? null);
    }
    const result: Record<string, unknown> = {};
    for (const key of Object.keys(value).sort()) {
      if (isSecretOptionKey(key)) continue;
      const canonical = canonicalize((value as Record<string, unknown>)[key], `${where}.${key}`, ancestors);
      if (canonical !== undefined) result[key] = canonical;
    }
    return result;
  } finally {
    ancestors.delete(value);
  }
}
