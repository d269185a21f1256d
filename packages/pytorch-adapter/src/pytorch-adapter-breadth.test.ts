/**
 * Architecture families whose config or graph is not a plain single-modality one: CLIP (image size in
 * vision_config, text and image inputs in one file), BLIP captioning (refused with a typed error), and
 * vision models whose traced graph holds only at the size it was traced at (Dinov2, MobileViT), which
 * are written with height and width fixed in the graph, never with dims that would fail at other sizes.
 */
import { mkdir, mkdtemp, readdir, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';

import type { ExportResult } from '@gpux/converter-core';
import { ConversionError, drainEvents } from '@gpux/converter-core';

import { createPytorchAdapter } from './pytorch-adapter';
import { compareReferenceCases } from './test-support/compare-reference-cases';
import type { TinyModel } from './test-support/tiny-models';
import { makeTinyModels } from './test-support/tiny-models';

const adapter = createPytorchAdapter();
let root: string;
let models: Record<string, TinyModel>;

beforeAll(async () => {
  root = await mkdtemp(path.join(os.tmpdir(), 'gpux-pytorch-breadth-'));
  models = await makeTinyModels(path.join(root, 'models'), ['clip', 'blip-captioning', 'dinov2', 'mobilevit']);
}, 300_000);

afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

function directories(name: string): { outputDirectory: string; workDirectory: string } {
  return { outputDirectory: path.join(root, 'out', name), workDirectory: path.join(root, 'work', name) };
}

async function exportDirectory(name: string): Promise<ExportResult> {
  const source = { path: models[name]!.path, kind: 'directory' as const };
  const detection = await adapter.detect(source);
  if (detection === undefined) throw new Error(`${name} was not detected`);
  const { outputDirectory, workDirectory } = directories(name);
  await mkdir(outputDirectory, { recursive: true });
  await mkdir(workDirectory, { recursive: true });
  return drainEvents(adapter.export({ source, detection, outputDirectory, workDirectory }));
}

/** Both reference cases (different sizes) match PyTorch within `tolerance` on every output. */
async function expectValidated(result: ExportResult, tolerance: number): Promise<void> {
  const differences = await compareReferenceCases(result);
  expect(differences).toHaveLength(2);
  expect(new Set(differences.map((difference) => difference.label)).size).toBe(2);
  for (const difference of differences) {
    expect(Object.keys(difference.maxAbsDiff).sort()).toEqual(result.files[0]!.outputs.map((output) => output.name).sort());
    for (const [output, value] of Object.entries(difference.maxAbsDiff)) expect({ output, value: value < tolerance }).toEqual({ output, value: true });
  }
}

it('exports CLIPModel as zero-shot-image-classification: text and image inputs, the image size read from vision_config', async () => {
  const result = await exportDirectory('clip');
  expect(result.task).toBe('zero-shot-image-classification');
  expect(result.architecture).toBe('CLIPModel');
  expect(result.files[0]?.inputs).toEqual([
    { name: 'input_ids', dtype: 'int64', shape: ['text_batch_size', 'sequence_length'] },
    { name: 'attention_mask', dtype: 'int64', shape: ['text_batch_size', 'sequence_length'] },
    { name: 'pixel_values', dtype: 'float32', shape: ['image_batch_size', 3, 32, 32] },
  ]);
  expect(result.files[0]?.outputs).toEqual([
    { name: 'logits_per_image', dtype: 'float32', shape: ['image_batch_size', 'text_batch_size'] },
    { name: 'logits_per_text', dtype: 'float32', shape: ['text_batch_size', 'image_batch_size'] },
    { name: 'text_embeds', dtype: 'float32', shape: ['text_batch_size', 16] },
    { name: 'image_embeds', dtype: 'float32', shape: ['image_batch_size', 16] },
  ]);
  expect(result.modelConfig).toMatchObject({ image_size: 32, num_channels: 3 });
  // 3 texts x 1 image, then 2 x 2 (a transposed logits_per_image would differ there).
  expect(result.referenceCases.map((entry) => entry.outputs.logits_per_image?.shape)).toEqual([[1, 3], [2, 2]]);
  expect(result.notes.join('\n')).toContain("height and width are fixed at the vision config's image size 32x32");
  await expectValidated(result, 1e-4);
}, 300_000);

it('refuses BlipForConditionalGeneration (captioning) with UNSUPPORTED_ARCHITECTURE naming the image-text-to-text head', async () => {
  const source = { path: models['blip-captioning']!.path, kind: 'directory' as const };
  const detection = await adapter.detect(source);
  const { outputDirectory, workDirectory } = directories('blip-captioning');
  await mkdir(outputDirectory, { recursive: true });
  await mkdir(workDirectory, { recursive: true });
  const error = await drainEvents(adapter.export({ source, detection: detection!, outputDirectory, workDirectory })).then(
    () => undefined,
    (caught: unknown) => caught,
  );
  expect(ConversionError.isInstance(error)).toBe(true);
  const conversionError = error as ConversionError;
  expect(conversionError.code).toBe('UNSUPPORTED_ARCHITECTURE');
  expect(conversionError.message).toContain('image-text-to-text head BlipForConditionalGeneration');
  expect(conversionError.details).toMatchObject({ architecture: 'BlipForConditionalGeneration', head: 'image-text-to-text' });
  expect(await readdir(outputDirectory)).toEqual([]);
}, 300_000);

it.each([
  ['dinov2', 'feature-extraction', 'Dinov2Model', 'last_hidden_state', ['batch_size', 17, 32], 'Guard failed'],
  ['mobilevit', 'image-classification', 'MobileViTForImageClassification', 'logits', ['batch_size', 3], 'Guard failed'],
])('exports %s with height/width fixed at the config image size, because its traced graph holds only there', async (name, task, architecture, output, outputShape, reason) => {
  const result = await exportDirectory(name);
  expect(result.task).toBe(task);
  expect(result.architecture).toBe(architecture);
  expect(result.files[0]?.inputs).toEqual([{ name: 'pixel_values', dtype: 'float32', shape: ['batch_size', 3, 32, 32] }]);
  expect(result.files[0]?.outputs).toEqual([{ name: output, dtype: 'float32', shape: outputShape }]);
  const note = result.notes.find((entry) => entry.includes('height and width are fixed'));
  expect(note).toContain(`PyTorch runs ${architecture} at 64x64, but the graph torch.export traces at 32x32 does not`);
  expect(note).toContain(reason);
  // Two cases at the sizes the IO claims: batch 1 and 2, at 32x32.
  expect(result.referenceCases.map((entry) => entry.inputs.pixel_values?.shape)).toEqual([[1, 3, 32, 32], [2, 3, 32, 32]]);
  await expectValidated(result, 1e-4);
}, 300_000);
