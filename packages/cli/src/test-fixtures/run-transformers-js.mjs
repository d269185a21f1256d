// Runs transformers.js (@huggingface/transformers, Node, onnxruntime-node inside) on a converted
// folder, offline, the way a user's app would, and prints one JSON line with what it returned.
// Usage: node run-transformers-js.mjs '<json request>'
//   { "task": "feature-extraction", "model": "/abs/dir", "dtype": "fp32", "sentences": [...] }
//   { "task": "text-generation", "model": "/abs/dir", "dtype": "fp32", "prompt": [ids], "maxNewTokens": 10 }
//   { "task": "image-classification", "model": "/abs/dir", "dtype": "fp32", "image": "/abs/image.png" }
import path from 'node:path';
import { AutoModelForCausalLM, env, pipeline, Tensor } from '@huggingface/transformers';

const request = JSON.parse(process.argv[2]);
env.allowRemoteModels = false;
env.allowLocalModels = true;
env.localModelPath = path.dirname(request.model) + path.sep;
const modelId = path.basename(request.model);
const options = { dtype: request.dtype, device: 'cpu' };

let result;
if (request.task === 'feature-extraction') {
  const extractor = await pipeline('feature-extraction', modelId, options);
  const embeddings = [];
  for (const sentence of request.sentences) {
    const output = await extractor(sentence, { pooling: 'mean', normalize: true });
    embeddings.push(Array.from(output.data));
  }
  result = { embeddings };
} else if (request.task === 'text-generation') {
  const model = await AutoModelForCausalLM.from_pretrained(modelId, options);
  const ids = new Tensor('int64', BigInt64Array.from(request.prompt.map(BigInt)), [1, request.prompt.length]);
  const mask = new Tensor('int64', BigInt64Array.from(request.prompt.map(() => 1n)), [1, request.prompt.length]);
  const output = await model.generate({ input_ids: ids, attention_mask: mask, max_new_tokens: request.maxNewTokens, min_new_tokens: request.maxNewTokens, do_sample: false });
  result = { generated: Array.from(output.data, Number).slice(request.prompt.length) };
} else if (request.task === 'image-classification') {
  const classifier = await pipeline('image-classification', modelId, options);
  const output = await classifier(request.image, { top_k: 4 });
  result = { labels: output };
} else {
  throw new Error(`unknown task ${request.task}`);
}
process.stdout.write(JSON.stringify(result) + '\n');
