// Jest environment of every package (jest.preset.js). Jest gives every test file its own realm, but
// onnxruntime-node's native binding returns typed arrays of Node's main realm, which then fail the
// `instanceof Float32Array` checks of onnxruntime-common loaded inside the test realm. Sharing the
// main realm's typed-array constructors with the test realm makes both agree.
const { TestEnvironment } = require('jest-environment-node');

const sharedConstructors = [
  'ArrayBuffer', 'SharedArrayBuffer', 'DataView',
  'Int8Array', 'Uint8Array', 'Uint8ClampedArray', 'Int16Array', 'Uint16Array', 'Int32Array', 'Uint32Array',
  'Float32Array', 'Float64Array', 'BigInt64Array', 'BigUint64Array',
];

class OnnxRuntimeTestEnvironment extends TestEnvironment {
  constructor(config, context) {
    super(config, context);
    for (const name of sharedConstructors) this.global[name] = globalThis[name];
  }
}

module.exports = OnnxRuntimeTestEnvironment;
