/** Recognises models that are already quantized, so that they are not quantized twice. */
import type { ModelProto } from '@gpux/onnx';
import { DataType, forEachNode } from '@gpux/onnx';

/** Operators that only appear in quantized models. */
export const QUANTIZED_OP_TYPES: ReadonlySet<string> = new Set([
  'QuantizeLinear',
  'DequantizeLinear',
  'DynamicQuantizeLinear',
  'MatMulInteger',
  'ConvInteger',
  'QLinearMatMul',
  'QLinearConv',
  'QGemm',
  'QAttention',
  'QLinearAdd',
  'QLinearMul',
  'MatMulNBits',
  'MatMulBnb4',
  'DynamicQuantizeMatMul',
  'MatMulIntegerToFloat',
  'DynamicQuantizeLSTM',
  'QEmbedLayerNormalization',
  'GatherBlockQuantized',
]);

const WEIGHT_OPS = new Set(['MatMul', 'Gemm', 'Conv']);
const INTEGER_WEIGHT_TYPES = new Set<number>([DataType.INT8, DataType.UINT8, DataType.INT4, DataType.UINT4]);

/** What {@link detectQuantizedModel} found. */
export interface QuantizedModelEvidence {
  quantized: boolean;
  /** Quantized operators present, with counts. */
  operators: Record<string, number>;
  /** MatMul/Gemm/Conv weights stored as 8- or 4-bit integers. */
  integerWeights: string[];
}

/**
 * Looks for quantization operators (QuantizeLinear, MatMulInteger, MatMulNBits, ...) anywhere in the
 * model and for integer weights feeding MatMul/Gemm/Conv.
 *
 * @example
 * ```ts
 * if (detectQuantizedModel(await loadOnnxModel('model.onnx')).quantized) console.log('already quantized');
 * ```
 */
export function detectQuantizedModel(model: ModelProto): QuantizedModelEvidence {
  const operators: Record<string, number> = {};
  const integerInitializers = new Map<string, number>();
  for (const tensor of model.graph?.initializer ?? []) if (INTEGER_WEIGHT_TYPES.has(tensor.dataType ?? 0)) integerInitializers.set(tensor.name ?? '', tensor.dataType ?? 0);
  const integerWeights: string[] = [];
  forEachNode(model, (node) => {
    const opType = node.opType ?? '';
    if (QUANTIZED_OP_TYPES.has(opType)) operators[opType] = (operators[opType] ?? 0) + 1;
    const weight = node.input[1];
    if (WEIGHT_OPS.has(opType) && weight !== undefined && integerInitializers.has(weight)) integerWeights.push(weight);
  });
  return { quantized: Object.keys(operators).length > 0 || integerWeights.length > 0, operators, integerWeights };
}
