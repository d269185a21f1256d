import { ConversionError } from '@gpux/converter-core';
import { RegistryError } from '@gpux/model-manager';
import { failureReason, isTransientFailure, parseFailureReason, queueJobId, type QueueJobData } from './queue-job';

const data: QueueJobData = { formatVersion: 1, source: 'org/bert', name: 'bert', options: { quantize: ['int8'] }, outputRoot: '/shared' };

describe('queued jobs', () => {
  it('retries the machine\'s failures and not the model\'s', () => {
    expect(isTransientFailure(new ConversionError('OUT_OF_MEMORY', 'killed'))).toBe(true);
    expect(isTransientFailure(new ConversionError('TIMEOUT', 'slow'))).toBe(true);
    expect(isTransientFailure(new RegistryError('NETWORK_ERROR', 'reset'))).toBe(true);
    expect(isTransientFailure(new ConversionError('EXPORT_FAILED', 'segfault', { details: { workerCrashed: true, exitSignal: 'SIGSEGV' } }))).toBe(true);
    expect(isTransientFailure(new ConversionError('EXPORT_FAILED', 'torch said no'))).toBe(false);
    expect(isTransientFailure(new ConversionError('INVALID_MODEL_FILE', 'corrupt'))).toBe(false);
    expect(isTransientFailure(new ConversionError('UNSUPPORTED_OPERATOR', 'op'))).toBe(false);
    expect(isTransientFailure(new RegistryError('MODEL_NOT_FOUND', 'no such model'))).toBe(false);
    expect(isTransientFailure(new Error('a bug'))).toBe(false);
  });

  it('keeps the code in the failed reason', () => {
    const reason = failureReason(new ConversionError('INVALID_MODEL_FILE', 'The file is not ONNX.\nDetails follow.'));
    expect(reason).toBe('INVALID_MODEL_FILE: The file is not ONNX.\nDetails follow.');
    expect(parseFailureReason(reason)).toEqual({ code: 'INVALID_MODEL_FILE', message: 'The file is not ONNX.\nDetails follow.' });
    expect(parseFailureReason('job stalled more than allowable limit')).toEqual({ code: 'INTERNAL_ERROR', message: 'job stalled more than allowable limit' });
  });

  it('derives the job id from what the job converts, not from --force', () => {
    expect(queueJobId(data)).toMatch(/^gpux-[0-9a-f]{24}$/);
    expect(queueJobId({ ...data, force: true })).toBe(queueJobId(data));
    expect(queueJobId({ ...data, options: { quantize: ['fp16'] } })).not.toBe(queueJobId(data));
    expect(queueJobId({ ...data, outputRoot: '/elsewhere' })).not.toBe(queueJobId(data));
  });
});
