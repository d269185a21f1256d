import type { WeightFormat } from './model-manager';

/** The order in which formats are reported. */
const formatOrder: readonly WeightFormat[] = [
  'safetensors',
  'pytorch-bin',
  'torchscript',
  'torch-export',
  'tf-savedmodel',
  'tf-h5',
  'keras',
  'tfjs',
  'tflite',
  'onnx',
];

const tfjsShard = /^group\d+-shard\d+of\d+(\.bin)?$/i;

/**
 * Detects which weight formats a model repository holds, from its file names only.
 *
 * Rules (on the base name, case-insensitive): `*.safetensors` -> `safetensors`; `pytorch_model*.bin`
 * -> `pytorch-bin`; `*.pt` / `*.pth` -> `torchscript` (candidates: such files can also be plain
 * pickled state dicts); `*.pt2` -> `torch-export`; `saved_model.pb` / `saved_model.pbtxt` ->
 * `tf-savedmodel`; `*.h5` -> `tf-h5`; `*.keras` -> `keras`; `model.json` next to `group*-shard*`
 * files -> `tfjs`; `*.tflite` -> `tflite`; `*.onnx` -> `onnx`.
 *
 * @param paths - Repository-relative paths (`/` or `\` separators).
 * @returns The formats present, each once, in a fixed order.
 * @example
 * ```ts
 * detectWeightFormats(['config.json', 'model.safetensors', 'onnx/model.onnx']); // ['safetensors', 'onnx']
 * ```
 */
export function detectWeightFormats(paths: readonly string[]): WeightFormat[] {
  const found = new Set<WeightFormat>();
  const tfjsModelDirectories = new Set<string>();
  const tfjsShardDirectories = new Set<string>();
  for (const rawPath of paths) {
    const normalized = rawPath.replaceAll('\\', '/');
    const slash = normalized.lastIndexOf('/');
    const directory = slash === -1 ? '' : normalized.slice(0, slash);
    const name = normalized.slice(slash + 1).toLowerCase();
    const format = formatOfName(name);
    if (format !== undefined) found.add(format);
    if (name === 'model.json') tfjsModelDirectories.add(directory);
    if (tfjsShard.test(name)) tfjsShardDirectories.add(directory);
  }
  for (const directory of tfjsModelDirectories) {
    if (tfjsShardDirectories.has(directory)) found.add('tfjs');
  }
  return formatOrder.filter((format) => found.has(format));
}

function formatOfName(name: string): WeightFormat | undefined {
  if (name.endsWith('.safetensors')) return 'safetensors';
  if (name.startsWith('pytorch_model') && name.endsWith('.bin')) return 'pytorch-bin';
  if (name.endsWith('.pt') || name.endsWith('.pth')) return 'torchscript';
  if (name.endsWith('.pt2')) return 'torch-export';
  if (name === 'saved_model.pb' || name === 'saved_model.pbtxt') return 'tf-savedmodel';
  if (name.endsWith('.h5')) return 'tf-h5';
  if (name.endsWith('.keras')) return 'keras';
  if (name.endsWith('.tflite')) return 'tflite';
  if (name.endsWith('.onnx')) return 'onnx';
  return undefined;
}
