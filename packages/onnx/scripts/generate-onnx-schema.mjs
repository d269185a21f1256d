#!/usr/bin/env node
// Generates packages/onnx/src/schema/onnx-schema.generated.ts from the onnx.proto that the pinned
// onnx PyPI release ships (onnx/onnx.proto, proto2), parsed with protobufjs.
//
//   node packages/onnx/scripts/generate-onnx-schema.mjs [--proto FILE --onnx-version X.Y.Z]
//        [--python PYTHON] [--out FILE] [--check]
//
// Where the proto comes from, first match wins:
//   --proto FILE        that file (its version from --onnx-version or a sibling onnx-*.dist-info)
//   --python PYTHON     (or GPUX_PYTHON) the onnx package that interpreter imports
//   otherwise           the managed "pytorch" environment under <GPUX cache>/python (GPUX_CACHE_DIR,
//                       else $XDG_CACHE_HOME/gpux, else ~/.cache/gpux) whose onnx is the version pinned in
//                       packages/pytorch-adapter/python/requirements.txt (`gpux-convert setup pytorch`)
// --out FILE writes elsewhere (the freshness test uses it); --check exits 1 when the committed file
// differs from what would be generated. The output depends only on the proto's bytes and the onnx
// version, so running it twice gives identical files.
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import protobuf from 'protobufjs';

const packageDirectory = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const repositoryRoot = path.resolve(packageDirectory, '..', '..');
const defaultOutput = path.join(packageDirectory, 'src', 'schema', 'onnx-schema.generated.ts');
const pinnedRequirements = path.join(repositoryRoot, 'packages', 'pytorch-adapter', 'python', 'requirements.txt');
const regenerateCommand = 'npm run generate:onnx-schema -w @gpux/onnx';

// ---- Rule tables: the only choices the generator makes beyond what onnx.proto says. ----

/**
 * TensorProto's repeated numeric data fields, which the codec keeps as typed arrays. Every packed
 * numeric field of TensorProto must be listed, and every entry must exist with the scalar type
 * given, so a change of the proto stops the generator instead of slipping through.
 */
const TYPED_ARRAY_RULES = {
  'TensorProto.float_data': { type: 'float', kind: 'float32-array', tsType: 'Float32Array' },
  'TensorProto.int32_data': { type: 'int32', kind: 'int32-array', tsType: 'Int32Array' },
  'TensorProto.int64_data': { type: 'int64', kind: 'int64-array', tsType: 'BigInt64Array' },
  'TensorProto.double_data': { type: 'double', kind: 'float64-array', tsType: 'Float64Array' },
  'TensorProto.uint64_data': { type: 'uint64', kind: 'uint64-array', tsType: 'BigUint64Array' },
};

/**
 * int64 fields typed `number` in the TypeScript interfaces instead of `Int64` (number | bigint):
 * shapes, IR and opset versions, which never exceed 2^53 in a real model.
 */
const NUMBER_INT64_FIELDS = new Set([
  'TensorProto.dims',
  'SparseTensorProto.dims',
  'TensorShapeProto.Dimension.dim_value',
  'ModelProto.ir_version',
  'OperatorSetIdProto.version',
]);

/** Interface names that differ from the default (the nested message's path joined). */
const INTERFACE_NAMES = {
  'TensorProto.Segment': 'TensorSegmentProto',
  'TensorShapeProto.Dimension': 'TensorShapeDimension',
};

/** The proto scalar types the wire codec supports, with their codec kind and TypeScript type. */
const SCALAR_TYPES = {
  int32: { kind: 'int32', tsType: 'number' },
  int64: { kind: 'int64', tsType: 'Int64' },
  uint64: { kind: 'uint64', tsType: 'Int64' },
  float: { kind: 'float', tsType: 'number' },
  double: { kind: 'double', tsType: 'number' },
  string: { kind: 'string', tsType: 'string' },
  bytes: { kind: 'bytes', tsType: 'Uint8Array' },
};
const PACKABLE = new Set(['int32', 'int64', 'uint64', 'float', 'double']);

// ---- Command line and locating the proto. ----

function fail(message) {
  process.stderr.write(`generate-onnx-schema: ${message}\n`);
  process.exit(2);
}

function parseArguments(argv) {
  const options = { check: false };
  for (let index = 0; index < argv.length; index += 1) {
    const argument = argv[index];
    const takeValue = () => {
      const value = argv[index + 1];
      if (value === undefined) fail(`${argument} needs a value`);
      index += 1;
      return value;
    };
    if (argument === '--proto') options.proto = path.resolve(takeValue());
    else if (argument === '--onnx-version') options.onnxVersion = takeValue();
    else if (argument === '--python') options.python = takeValue();
    else if (argument === '--out') options.out = path.resolve(takeValue());
    else if (argument === '--check') options.check = true;
    else fail(`unknown argument ${argument}`);
  }
  return options;
}

function pinnedOnnxVersion() {
  const match = /^onnx==([^\s#]+)/m.exec(readFileSync(pinnedRequirements, 'utf8'));
  if (match === null) fail(`no onnx==X pin in ${pinnedRequirements}`);
  return match[1];
}

function onnxFromPython(python) {
  const result = spawnSync(
    python,
    ['-c', 'import json, os, onnx; print(json.dumps([os.path.dirname(onnx.__file__), onnx.__version__]))'],
    { encoding: 'utf8' },
  );
  if (result.status !== 0) fail(`${python} cannot import onnx: ${(result.stderr ?? String(result.error)).trim()}`);
  const [directory, version] = JSON.parse(result.stdout.trim().split('\n').pop());
  return { proto: path.join(directory, 'onnx.proto'), onnxVersion: version };
}

function managedPython(version) {
  // The cache root in the order @gpux/model-manager's resolveGpuxCacheDirectory uses.
  const nonEmpty = (value) => (value !== undefined && value.trim() !== '' ? value : undefined);
  const xdg = nonEmpty(process.env.XDG_CACHE_HOME);
  const cache = nonEmpty(process.env.GPUX_CACHE_DIR) ?? (xdg === undefined ? path.join(os.homedir(), '.cache', 'gpux') : path.join(xdg, 'gpux'));
  const root = path.join(path.resolve(cache), 'python');
  const candidates = existsSync(root) ? readdirSync(root).sort() : [];
  for (const hash of candidates) {
    const manifestFile = path.join(root, hash, 'gpux-environment.json');
    if (!existsSync(manifestFile)) continue;
    const manifest = JSON.parse(readFileSync(manifestFile, 'utf8'));
    if (manifest.requirementSet !== 'pytorch' || manifest.packages?.onnx !== version) continue;
    const python = path.join(root, hash, 'bin', 'python');
    if (existsSync(python)) return python;
  }
  return fail(
    `no managed pytorch environment with onnx ${version} under ${root}; run \`gpux-convert setup pytorch\` ` +
      '(or pass --python / --proto)',
  );
}

function versionBesideProto(proto) {
  const sitePackages = path.dirname(path.dirname(proto));
  const distInfo = existsSync(sitePackages)
    ? readdirSync(sitePackages).find((name) => /^onnx-[^-]+\.dist-info$/.test(name))
    : undefined;
  return distInfo === undefined ? undefined : distInfo.slice('onnx-'.length, -'.dist-info'.length);
}

function locateProto(options) {
  if (options.proto !== undefined) {
    const onnxVersion = options.onnxVersion ?? versionBesideProto(options.proto);
    if (onnxVersion === undefined) fail(`cannot tell the onnx version of ${options.proto}; pass --onnx-version`);
    return { proto: options.proto, onnxVersion };
  }
  const pinned = pinnedOnnxVersion();
  const python = options.python ?? process.env.GPUX_PYTHON ?? managedPython(pinned);
  const found = onnxFromPython(python);
  if (found.onnxVersion !== pinned) {
    fail(`${python} has onnx ${found.onnxVersion}, but ${path.relative(repositoryRoot, pinnedRequirements)} pins ${pinned}`);
  }
  return found;
}

// ---- Reading the proto. ----

/** `TensorProto.Segment` for `.onnx.TensorProto.Segment`. */
function localName(reflection, packageName) {
  const prefix = `.${packageName}.`;
  if (!reflection.fullName.startsWith(prefix)) fail(`${reflection.fullName} is outside package ${packageName}`);
  return reflection.fullName.slice(prefix.length);
}

function camelCase(protoName) {
  return protoName.replace(/_([a-z0-9])/g, (_, letter) => letter.toUpperCase());
}

function interfaceName(messageName) {
  return INTERFACE_NAMES[messageName] ?? messageName.split('.').join('');
}

/** Every message reachable from ModelProto through message fields, by local name, sorted. */
function reachableMessages(root, packageName) {
  const start = root.lookupType(`${packageName}.ModelProto`);
  const found = new Map();
  const pending = [start];
  while (pending.length > 0) {
    const type = pending.pop();
    const name = localName(type, packageName);
    if (found.has(name)) continue;
    found.set(name, type);
    for (const field of type.fieldsArray) {
      if (field.resolvedType instanceof protobuf.Type) pending.push(field.resolvedType);
    }
  }
  return new Map([...found].sort(([left], [right]) => (left < right ? -1 : left > right ? 1 : 0)));
}

function allEnums(namespace, packageName, into = new Map()) {
  for (const nested of namespace.nestedArray) {
    if (nested instanceof protobuf.Enum) into.set(localName(nested, packageName), nested);
    if (nested instanceof protobuf.Namespace) allEnums(nested, packageName, into);
  }
  return new Map([...into].sort(([left], [right]) => (left < right ? -1 : left > right ? 1 : 0)));
}

function describeField(messageName, field, packageName, usedRules) {
  const path = `${messageName}.${field.name}`;
  if (field.map) fail(`${path}: map fields are not supported by the codec`);
  const repeated = field.repeated;
  const packed = repeated && field.packed;
  const entry = { number: field.id, name: camelCase(field.name), protoName: field.name, repeated, packed };
  let tsType;
  if (field.resolvedType instanceof protobuf.Type) {
    Object.assign(entry, { type: 'message', typeName: localName(field.resolvedType, packageName), kind: 'message' });
    tsType = interfaceName(entry.typeName);
  } else if (field.resolvedType instanceof protobuf.Enum) {
    Object.assign(entry, { type: 'enum', typeName: localName(field.resolvedType, packageName), kind: 'int32' });
    tsType = 'number';
  } else {
    const scalar = SCALAR_TYPES[field.type];
    if (scalar === undefined) fail(`${path}: proto type ${field.type} is not supported by the codec`);
    Object.assign(entry, { type: field.type, kind: scalar.kind });
    tsType = field.type === 'int64' && NUMBER_INT64_FIELDS.has(path) ? 'number' : scalar.tsType;
  }
  if (packed && !PACKABLE.has(entry.type)) fail(`${path}: [packed = true] on a ${entry.type} field`);
  const rule = TYPED_ARRAY_RULES[path];
  if (rule !== undefined) {
    usedRules.add(path);
    if (!repeated || entry.type !== rule.type) fail(`${path}: the typed-array rule expects repeated ${rule.type}`);
    entry.kind = rule.kind;
    tsType = rule.tsType;
  } else if (messageName === 'TensorProto' && packed) {
    fail(`${path}: a packed TensorProto field without a typed-array rule; add it to TYPED_ARRAY_RULES`);
  }
  if (field.partOf !== null && field.partOf !== undefined) entry.oneof = field.partOf.name;
  const optional = !repeated;
  const propertyType = repeated && rule === undefined ? `${tsType}[]` : tsType;
  return { entry, property: `${entry.name}${optional ? '?' : ''}: ${propertyType};` };
}

// ---- Writing the TypeScript. ----

function quote(text) {
  return `'${text.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
}

function propertyKey(text) {
  return /^[A-Za-z_$][A-Za-z0-9_$]*$/.test(text) ? text : quote(text);
}

function entryLiteral(entry) {
  const parts = [`number: ${entry.number}`, `name: ${quote(entry.name)}`, `protoName: ${quote(entry.protoName)}`];
  parts.push(`type: ${quote(entry.type)}`);
  if (entry.typeName !== undefined) parts.push(`typeName: ${quote(entry.typeName)}`);
  parts.push(`kind: ${quote(entry.kind)}`, `repeated: ${entry.repeated}`, `packed: ${entry.packed}`);
  if (entry.oneof !== undefined) parts.push(`oneof: ${quote(entry.oneof)}`);
  return `{ ${parts.join(', ')} }`;
}

function render({ protoText, protoLabel, onnxVersion }) {
  const parsed = protobuf.parse(protoText, { keepCase: true });
  const packageName = parsed.package;
  if (packageName !== 'onnx') fail(`expected package onnx, found ${packageName}`);
  const root = parsed.root;
  root.resolveAll();
  const syntax = /^\s*syntax\s*=\s*"(proto[23])"/m.exec(protoText)?.[1] ?? 'proto2';
  const sha256 = createHash('sha256').update(protoText).digest('hex');

  const messages = reachableMessages(root, packageName);
  const enums = allEnums(root.lookup(packageName), packageName);
  const usedRules = new Set();
  const described = new Map();
  for (const [name, type] of messages) {
    const fields = [...type.fieldsArray].sort((left, right) => left.id - right.id);
    described.set(name, { type, fields: fields.map((field) => describeField(name, field, packageName, usedRules)) });
  }
  for (const rulePath of Object.keys(TYPED_ARRAY_RULES)) {
    if (!usedRules.has(rulePath)) fail(`typed-array rule ${rulePath} matches no field of the proto`);
  }
  for (const numberPath of NUMBER_INT64_FIELDS) {
    const messageName = numberPath.slice(0, numberPath.lastIndexOf('.'));
    const fieldName = numberPath.slice(numberPath.lastIndexOf('.') + 1);
    const field = described.get(messageName)?.fields.find(({ entry }) => entry.protoName === fieldName);
    if (field?.entry.type !== 'int64') fail(`NUMBER_INT64_FIELDS names ${numberPath}, which is no int64 field`);
  }

  const lines = [];
  lines.push(
    '// GENERATED FILE: do not edit. Written by packages/onnx/scripts/generate-onnx-schema.mjs',
    `// from ${protoLabel} of the onnx ${onnxVersion} PyPI release (${syntax}, package ${packageName}),`,
    `// sha256 ${sha256}.`,
    `// Regenerate after bumping onnx (packages/pytorch-adapter/python/requirements.txt): ${regenerateCommand}`,
    "import type { Int64, UnknownFieldsCarrier } from '../onnx-types';",
    "import type { FieldTableEntry } from './message-table';",
    '',
    '/** Where these tables came from. */',
    'export const onnxSchemaSource = {',
    `  onnxVersion: ${quote(onnxVersion)},`,
    `  protoFile: ${quote(protoLabel)},`,
    `  protoSha256: ${quote(sha256)},`,
    `  syntax: ${quote(syntax)},`,
    '} as const;',
    '',
    '/** The messages reachable from ModelProto, by their name inside package `onnx`. */',
    'export type OnnxMessageName =',
    ...[...messages.keys()].map((name, index, all) => `  | ${quote(name)}${index === all.length - 1 ? ';' : ''}`),
    '',
    '/** Every field of every message reachable from ModelProto, sorted by field number. */',
    'export const onnxMessageTables: Readonly<Record<OnnxMessageName, readonly FieldTableEntry[]>> = {',
  );
  for (const [name, { fields }] of described) {
    lines.push(`  ${propertyKey(name)}: [`);
    for (const { entry } of fields) lines.push(`    ${entryLiteral(entry)},`);
    lines.push('  ],');
  }
  lines.push('};', '', '/** The enums of onnx.proto (fields of enum type are int32 on the wire). */', 'export const onnxEnums = {');
  for (const [name, reflection] of enums) {
    lines.push(`  ${propertyKey(name)}: {`);
    for (const [valueName, value] of Object.entries(reflection.values)) lines.push(`    ${propertyKey(valueName)}: ${value},`);
    lines.push('  },');
  }
  lines.push('} as const;');
  for (const [name, { type, fields }] of described) {
    const oneofs = type.oneofsArray.map((oneof) => `oneof \`${oneof.name}\`: ${oneof.oneof.join(', ')}`);
    lines.push('', `/** \`onnx.${name}\`${oneofs.length === 0 ? '' : ` (${oneofs.join('; ')})`}. */`);
    lines.push(`export interface ${interfaceName(name)} extends UnknownFieldsCarrier {`);
    for (const { entry, property } of fields) {
      lines.push(`  /** \`${entry.protoName}\` = ${entry.number} */`, `  ${property}`);
    }
    lines.push('}');
  }
  return `${lines.join('\n')}\n`;
}

function main() {
  const options = parseArguments(process.argv.slice(2));
  const { proto, onnxVersion } = locateProto(options);
  if (!existsSync(proto)) fail(`${proto} does not exist`);
  const text = render({ protoText: readFileSync(proto, 'utf8'), protoLabel: 'onnx/onnx.proto', onnxVersion });
  const output = options.out ?? defaultOutput;
  if (options.check) {
    const current = existsSync(output) ? readFileSync(output, 'utf8') : '';
    if (current !== text) {
      process.stderr.write(`${path.relative(process.cwd(), output)} is stale; run ${regenerateCommand}\n`);
      process.exit(1);
    }
    process.stdout.write(`${path.relative(process.cwd(), output)} is up to date (onnx ${onnxVersion})\n`);
    return;
  }
  const temporary = `${output}.incomplete`;
  writeFileSync(temporary, text);
  renameSync(temporary, output);
  process.stdout.write(`wrote ${path.relative(process.cwd(), output)} from ${proto} (onnx ${onnxVersion})\n`);
}

main();
