#!/usr/bin/env node
// Measurement (not a test) behind docs/decisions/0001-onnx-wire-codec.md: which messages, fields
// and enum values of our generated schema the `onnx-proto` npm package lacks. It reads that
// package's protobufjs static encoders (`dist/onnx.js`, from `npm pack onnx-proto` in a scratch
// folder; never a dependency of ours) and this package's generated tables.
//
//   node packages/onnx/scripts/compare-onnx-proto-package.mjs PATH/TO/package/dist/onnx.js
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const generatedFile = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', 'src', 'schema', 'onnx-schema.generated.ts');
const staticModule = process.argv[2];
if (staticModule === undefined) throw new Error('usage: compare-onnx-proto-package.mjs PATH/TO/onnx.js');

// Their field numbers, from the `/* id N, wireType W =*/` comments inside each `X.encode` function.
const theirMessages = new Map();
const theirEnums = new Map();
let memberOf;
let documentedName;
let encoding;
for (const line of readFileSync(staticModule, 'utf8').split('\n')) {
  memberOf = /@memberof onnx\.([\w.]+)/.exec(line)?.[1] ?? memberOf;
  documentedName = /@name onnx\.([\w.]+)/.exec(line)?.[1] ?? documentedName;
  if (/\.encode = function encode\(/.test(line)) {
    encoding = memberOf;
    theirMessages.set(encoding, new Set());
  } else if (/^\s*return writer;/.test(line)) {
    encoding = undefined;
  } else if (encoding !== undefined) {
    const id = /\/\* id (\d+), wireType/.exec(line)?.[1];
    if (id !== undefined) theirMessages.get(encoding).add(Number(id));
  }
  const value = /values\[valuesById\[\d+\] = "(\w+)"\]/.exec(line)?.[1];
  if (value !== undefined) {
    if (!theirEnums.has(documentedName)) theirEnums.set(documentedName, new Set());
    theirEnums.get(documentedName).add(value);
  }
}

// Ours, from the generated file's literal tables.
const generated = readFileSync(generatedFile, 'utf8');
const tablesText = generated.slice(generated.indexOf('export const onnxMessageTables'), generated.indexOf('export const onnxEnums'));
const enumsText = generated.slice(generated.indexOf('export const onnxEnums'), generated.indexOf('} as const;', generated.indexOf('export const onnxEnums')));
let missingFields = 0;
let message;
for (const line of tablesText.split('\n')) {
  const header = /^ {2}'?([\w.]+)'?: \[$/.exec(line);
  if (header !== null) {
    message = header[1];
    if (!theirMessages.has(message)) console.log(`message ${message}: missing entirely`);
    continue;
  }
  const field = /\{ number: (\d+), name: '\w+', protoName: '(\w+)', type: '(\w+)'(?:, typeName: '([\w.]+)')?/.exec(line);
  if (field === null || message === undefined) continue;
  if (!theirMessages.get(message)?.has(Number(field[1]))) {
    missingFields += 1;
    console.log(`field ${message}.${field[2]} = ${field[1]} (${field[4] ?? field[3]})`);
  }
}
let enumName;
for (const line of enumsText.split('\n')) {
  const header = /^ {2}'?([\w.]+)'?: \{$/.exec(line);
  if (header !== null) {
    enumName = header[1];
    continue;
  }
  const value = /^ {4}(\w+): \d+,/.exec(line)?.[1];
  if (value !== undefined && !theirEnums.get(enumName)?.has(value)) console.log(`enum value ${enumName}.${value}`);
}
console.log(`${missingFields} fields of ours missing; onnx-proto encodes ${theirMessages.size} messages`);
