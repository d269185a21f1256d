// Jest environment for test files that run onnxruntime-node. Jest gives each test file its own
// realm, but onnxruntime-node's native binding creates typed arrays in Node's main realm, which then
// fail onnxruntime-common's `instanceof Float32Array` checks inside the test realm. Handing the
// test realm the main realm's typed-array constructors makes both sides agree.
const { TestEnvironment } = require('jest-environment-node');

const typedArrayConstructors = [
  'ArrayBuffer', 'SharedArrayBuffer', 'DataView', 'Int8Array', 'Uint8Array', 'Uint8ClampedArray', 'Int16Array',
  'Uint16Array', 'Int32Array', 'Uint32Array', 'Float32Array', 'Float64Array', 'BigInt64Array', 'BigUint64Array',
];

class OnnxRuntimeTestEnvironment extends TestEnvironment {
  constructor(config, context) {
    super(config, context);
    for (const name of typedArrayConstructors) this.global[name] = globalThis[name];
  }
}

module.exports = OnnxRuntimeTestEnvironment;
