// Shared by latency.mjs and profile.mjs: onnxruntime-node resolved from the working directory (the
// repository root), `--flag value` options and the NAME=PATH model variants of the command line.
import { createRequire } from 'node:module';

export const ort = createRequire(`${process.cwd()}/`)('onnxruntime-node');

export function argument(name, fallback) {
  const index = process.argv.indexOf(name);
  return index === -1 ? fallback : process.argv[index + 1];
}

export function variantArguments() {
  return process.argv.slice(2).filter((entry) => entry.includes('=') && !entry.startsWith('--')).map((entry) => {
    const [name, file] = entry.split('=');
    return { name, file };
  });
}
