import { loadOnnxModelFromBuffer, OnnxError, type OnnxErrorCode } from '@gpux/onnx';
import { ConversionError, type ConversionErrorCode } from './conversion-error';

describe('ConversionError', () => {
  it('matches its own errors by marker, including a copy made by spreading, and nothing else', () => {
    const error = new ConversionError('EXPORT_FAILED', 'export failed', { details: { exitCode: 1 } });
    expect(ConversionError.isInstance(error)).toBe(true);
    expect(ConversionError.hasCode(error, 'EXPORT_FAILED')).toBe(true);
    expect(ConversionError.hasCode(error, 'TIMEOUT')).toBe(false);
    expect(ConversionError.isInstance({ ...error })).toBe(true);
    expect(ConversionError.isInstance(new Error('plain'))).toBe(false);
    expect(ConversionError.isInstance({ code: 'EXPORT_FAILED' })).toBe(false);
  });

  it("matches @gpux/onnx's OnnxError with its code, so ONNX IO failures stay conversion errors", () => {
    let caught: unknown;
    try {
      loadOnnxModelFromBuffer(new Uint8Array([0xff, 0xff, 0xff]), { source: 'broken.onnx' });
    } catch (error) {
      caught = error;
    }
    expect(OnnxError.isInstance(caught)).toBe(true);
    expect(ConversionError.isInstance(caught)).toBe(true);
    expect(ConversionError.hasCode(caught, 'INVALID_MODEL_FILE')).toBe(true);
    expect(ConversionError.hasCode(caught, 'CANCELLED')).toBe(false);
    // Type-checked: every OnnxError code is a conversion error code.
    const code: ConversionErrorCode = (caught as OnnxError).code satisfies OnnxErrorCode;
    expect(code).toBe('INVALID_MODEL_FILE');
    // The other direction does not hold: a conversion error is not an ONNX IO error.
    expect(OnnxError.isInstance(new ConversionError('INVALID_MODEL_FILE', 'x'))).toBe(false);
  });
});
