import os from 'node:os';
import path from 'node:path';
import { resolveGpuxCacheDirectory } from './resolve-gpux-cache-directory';

describe('resolveGpuxCacheDirectory', () => {
  it('prefers the explicit override and makes it absolute', () => {
    expect(resolveGpuxCacheDirectory('relative/cache', { GPUX_CACHE_DIR: '/elsewhere' })).toBe(path.resolve('relative/cache'));
  });

  it('uses GPUX_CACHE_DIR, then XDG_CACHE_HOME, then ~/.cache/gpux', () => {
    expect(resolveGpuxCacheDirectory(undefined, { GPUX_CACHE_DIR: '/tmp/gpux-a', XDG_CACHE_HOME: '/tmp/xdg' })).toBe('/tmp/gpux-a');
    expect(resolveGpuxCacheDirectory(undefined, { GPUX_CACHE_DIR: ' ', XDG_CACHE_HOME: '/tmp/xdg' })).toBe('/tmp/xdg/gpux');
    expect(resolveGpuxCacheDirectory(undefined, {})).toBe(path.join(os.homedir(), '.cache', 'gpux'));
  });
});
