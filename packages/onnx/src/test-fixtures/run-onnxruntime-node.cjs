// Test-only: runs a model in onnxruntime-node in a plain Node process (outside jest's sandbox,
// whose typed-array globals differ from the ones onnxruntime's native outputs are made in).
// Usage: node run-onnxruntime-node.cjs MODEL INPUT_NAME DIM[,DIM...]
// Prints {"outputs": [[...], ...]} for a linspace(-1, 1) float32 input.
const ort = require('onnxruntime-node');

async function main() {
  const [modelPath, inputName, dimsText] = process.argv.slice(2);
  const dims = dimsText.split(',').map(Number);
  const count = dims.reduce((product, dim) => product * dim, 1);
  const data = Float32Array.from({ length: count }, (_, index) => -1 + (2 * index) / (count - 1));
  const session = await ort.InferenceSession.create(modelPath);
  try {
    const results = await session.run({ [inputName]: new ort.Tensor('float32', data, dims) });
    const outputs = session.outputNames.map((name) => Array.from(results[name].data, Number));
    process.stdout.write(`${JSON.stringify({ outputs })}\n`);
  } finally {
    await session.release();
  }
}

main().catch((error) => {
  process.stderr.write(`${error.stack ?? error}\n`);
  process.exit(1);
});
