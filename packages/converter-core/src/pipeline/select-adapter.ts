import { assertAdapterSpecification, type ConverterAdapter, type DetectionResult, type ModelSource } from '../adapter';
import { ConversionError } from '../conversion-error';

/** Which adapters may handle a source. */
export type FrameworkChoice = 'pytorch' | 'tensorflow' | 'onnx' | 'auto';

/**
 * Asks each adapter, in order, whether it recognises the source; the first answer wins.
 *
 * @throws TypeError when an adapter does not implement specification v1 or none is given;
 *   ConversionError `UNSUPPORTED_FORMAT` when no adapter recognises the source.
 */
export async function selectAdapter(
  adapters: readonly ConverterAdapter[],
  source: ModelSource,
  framework: FrameworkChoice = 'auto',
): Promise<{ adapter: ConverterAdapter; detection: DetectionResult }> {
  const list: readonly ConverterAdapter[] = adapters;
  if (!Array.isArray(adapters) || list.length === 0) {
    throw new TypeError('Parameter "adapters" must list at least one ConverterAdapter (e.g. pytorchAdapter or createPytorchAdapter() from @gpux/pytorch-adapter).');
  }
  for (const adapter of list) assertAdapterSpecification(adapter);
  const candidates = framework === 'auto' ? list : list.filter((adapter) => adapter.framework === framework);
  if (candidates.length === 0) {
    throw new ConversionError(
      'UNSUPPORTED_FORMAT',
      `No adapter for framework "${framework}" was given (adapters: ${list.map((adapter) => adapter.name).join(', ')}). Install and pass the adapter for ${framework}.`,
      { details: { framework } },
    );
  }
  for (const adapter of candidates) {
    const detection = await adapter.detect(source);
    if (detection !== undefined) return { adapter, detection };
  }
  throw new ConversionError(
    'UNSUPPORTED_FORMAT',
    `None of the adapters (${candidates.map((adapter) => adapter.name).join(', ')}) recognises ${source.path}. ` +
      'Check that it is a PyTorch or TensorFlow model (or a Transformers directory with config.json), or choose the framework explicitly.',
    { details: { source: source.path, adapters: candidates.map((adapter) => adapter.name), framework } },
  );
}
