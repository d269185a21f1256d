import { defineConfig, type Options } from 'tsup';

/**
 * The build every publishable package shares: ESM + CJS with `.d.ts`/`.d.cts`, source maps, and
 * tsup's `__dirname`/`import.meta.url` shims (sources use `__dirname` to find shipped files).
 */
export function createPackageBuildConfig(entry: string[] = ['src/index.ts'], overrides: Options = {}) {
  return defineConfig({
    entry,
    format: ['esm', 'cjs'],
    dts: true,
    sourcemap: true,
    clean: true,
    shims: true,
    target: 'node20',
    tsconfig: 'tsconfig.build.json',
    ...overrides,
  });
}
