/**
 * Operators onnxruntime's CPU kernels (onnxruntime-node, and onnxruntime-web's wasm backend,
 * which "compiles the native ONNX Runtime CPU engine into WebAssembly",
 * https://www.npmjs.com/package/onnxruntime-web) cannot run.
 *
 * The com.microsoft operators below have schemas but no CPU kernel: each was loaded in
 * onnxruntime-node 1.30.0 here and failed with "Could not find an implementation" (BiasAdd,
 * BiasDropout, BiasSplitGelu, ComplexMul, GemmFastGelu, GemmFloat8, NhwcConv, Rfft), or is listed
 * only under CUDA/ROCm in https://github.com/microsoft/onnxruntime/blob/main/docs/OperatorKernels.md.
 */

/** com.microsoft operators without a CPU kernel. */
export const CONTRIB_OPERATORS_WITHOUT_CPU_KERNEL: ReadonlyMap<string, string> = new Map([
  ['BiasAdd', 'measured'],
  ['BiasDropout', 'measured'],
  ['BiasSplitGelu', 'measured'],
  ['ComplexMul', 'measured'],
  ['GemmFastGelu', 'measured'],
  ['GemmFloat8', 'measured'],
  ['NhwcConv', 'measured'],
  ['Rfft', 'measured'],
  ['Irfft', 'OperatorKernels.md (CUDA only)'],
  ['DecoderMaskedMultiHeadAttention', 'OperatorKernels.md (CUDA only)'],
  ['DecoderMaskedSelfAttention', 'OperatorKernels.md (CUDA only)'],
  ['PackedAttention', 'OperatorKernels.md (CUDA only)'],
  ['PackedMultiHeadAttention', 'OperatorKernels.md (CUDA only)'],
  ['LongformerAttention', 'OperatorKernels.md (CUDA only)'],
  ['RemovePadding', 'OperatorKernels.md (CUDA only)'],
  ['RestorePadding', 'OperatorKernels.md (CUDA only)'],
  ['GroupNorm', 'OperatorKernels.md (CUDA only)'],
  ['SkipGroupNorm', 'OperatorKernels.md (CUDA only)'],
]);

/** Domains onnxruntime knows without a custom-operator library. */
export const KNOWN_DOMAINS: ReadonlySet<string> = new Set(['', 'ai.onnx', 'ai.onnx.ml', 'com.microsoft', 'ai.onnx.preview.training', 'com.microsoft.nchwc']);

/**
 * Domains specific to one CPU: onnxruntime's 'layout'/'all' optimization levels write NCHWc
 * operators that exist only in x86-64 CPU builds, so such a model is not portable to the web.
 */
export const WEB_UNSUPPORTED_DOMAINS: ReadonlyMap<string, string> = new Map([
  ['com.microsoft.nchwc', "NCHWc layout operators come from onnxruntime's 'layout'/'all' optimization levels and exist only in x86-64 CPU builds; re-optimize without them"],
]);
