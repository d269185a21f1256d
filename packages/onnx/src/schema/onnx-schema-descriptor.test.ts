/**
 * The generated schema against the official one: Python onnx's compiled descriptors (the pinned
 * onnx release in the managed pytorch environment), the codec's linked specs, and a fresh run of
 * the generator.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { AttributeType } from '../onnx-types';
import { DimensionSpec, ModelSpec, onnxMessageSpecs, TensorSpec, TypeSpec } from '../onnx-schema';
import { findTestPython } from '@gpux/test-helpers';
import type { FieldTableEntry } from './message-table';
import { onnxEnums, onnxMessageTables, onnxSchemaSource } from './onnx-schema.generated';

interface PythonField {
  number: number;
  protoName: string;
  type: string;
  typeName?: string;
  repeated: boolean;
  packed: boolean;
  oneof?: string;
}

interface PythonSchema {
  onnxVersion: string;
  protoFile: string;
  messages: Record<string, PythonField[]>;
  enums: Record<string, Record<string, number>>;
}

const packageDirectory = path.resolve(__dirname, '..', '..');
const generator = path.join(packageDirectory, 'scripts', 'generate-onnx-schema.mjs');
const generatedFile = path.join(__dirname, 'onnx-schema.generated.ts');
const pinnedRequirements = path.resolve(packageDirectory, '..', 'pytorch-adapter', 'python', 'requirements.txt');

function withoutCodecColumns(entry: FieldTableEntry): PythonField {
  const { name: _name, kind: _kind, ...official } = entry;
  return official;
}

function runGenerator(args: string[]): { status: number | null; stderr: string } {
  const result = spawnSync(process.execPath, [generator, ...args], { encoding: 'utf8' });
  return { status: result.status, stderr: result.stderr };
}

let python: string;
let official: PythonSchema;
let protoPath: string;
let scratch: string;

beforeAll(async () => {
  python = await findTestPython('pytorch');
  const dumped = spawnSync(python, [path.join(__dirname, 'dump_onnx_descriptor.py')], { encoding: 'utf8' });
  if (dumped.status !== 0) throw new Error(`dump_onnx_descriptor.py failed:\n${dumped.stderr}`);
  official = JSON.parse(dumped.stdout) as PythonSchema;
  const located = spawnSync(python, ['-c', 'import onnx, os; print(os.path.dirname(onnx.__file__))'], {
    encoding: 'utf8',
  });
  protoPath = path.join(located.stdout.trim(), 'onnx.proto');
  scratch = mkdtempSync(path.join(os.tmpdir(), 'gpux-onnx-schema-'));
});

afterAll(() => {
  if (scratch !== undefined) rmSync(scratch, { recursive: true, force: true });
});

describe('the generated schema against Python onnx (ModelProto.DESCRIPTOR)', () => {
  it('comes from the onnx release the repository pins, which the interpreter has', () => {
    const pinned = /^onnx==(\S+)/m.exec(readFileSync(pinnedRequirements, 'utf8'))?.[1];
    expect(onnxSchemaSource.onnxVersion).toBe(pinned);
    expect(official.onnxVersion).toBe(pinned);
    // The wheel compiles its descriptors from onnx-ml.proto, which declares the same messages.
    expect(official.protoFile).toBe('onnx/onnx-ml.proto');
  });

  it('has exactly the messages reachable from ModelProto', () => {
    expect(Object.keys(onnxMessageTables).sort()).toEqual(Object.keys(official.messages).sort());
    expect(Object.keys(official.messages).length).toBeGreaterThanOrEqual(28);
  });

  it.each(Object.keys(onnxMessageTables))('%s: every field number, name, type, label and packing', (name) => {
    const generated = onnxMessageTables[name as keyof typeof onnxMessageTables].map(withoutCodecColumns);
    expect({ message: name, fields: generated }).toEqual({ message: name, fields: official.messages[name] });
  });

  it('has every enum with the same values', () => {
    expect(onnxEnums).toEqual(official.enums);
    expect(AttributeType).toEqual(onnxEnums['AttributeProto.AttributeType']);
  });
});

describe('the codec kinds of the generated tables', () => {
  const allFields = Object.entries(onnxMessageTables).flatMap(([message, fields]) =>
    fields.map((field) => ({ message, ...field })),
  );

  it('name each field by the camelCase of its proto name', () => {
    for (const field of allFields) {
      expect(field.name).toBe(field.protoName.replace(/_([a-z0-9])/g, (_, letter: string) => letter.toUpperCase()));
    }
  });

  it('keep exactly the five packed TensorProto data fields as typed arrays', () => {
    const typedArrays = allFields.filter((field) => field.kind.endsWith('-array'));
    expect(typedArrays.map((field) => `${field.message}.${field.protoName}:${field.kind}`).sort()).toEqual([
      'TensorProto.double_data:float64-array',
      'TensorProto.float_data:float32-array',
      'TensorProto.int32_data:int32-array',
      'TensorProto.int64_data:int64-array',
      'TensorProto.uint64_data:uint64-array',
    ]);
    expect(typedArrays.every((field) => field.repeated && field.packed)).toBe(true);
  });

  it('carry enums as int32 and every other field as its proto type', () => {
    for (const field of allFields.filter((entry) => !entry.kind.endsWith('-array'))) {
      expect({ field: `${field.message}.${field.protoName}`, kind: field.kind }).toEqual({
        field: `${field.message}.${field.protoName}`,
        kind: field.type === 'enum' ? 'int32' : field.type,
      });
    }
    expect(allFields.filter((field) => field.type === 'enum').map((field) => `${field.message}.${field.protoName}`))
      .toEqual(['AttributeProto.type', 'TensorProto.data_location']);
  });
});

describe("the codec's specs", () => {
  it('are the generated tables, linked', () => {
    for (const [name, fields] of Object.entries(onnxMessageTables)) {
      const spec = onnxMessageSpecs[name as keyof typeof onnxMessageSpecs];
      expect(spec.name).toBe(name);
      expect(
        spec.fields.map((field) => ({
          number: field.number,
          name: field.name,
          kind: field.kind,
          repeated: field.repeated,
          packed: field.packed,
          message: field.message?.name,
        })),
      ).toEqual(
        fields.map((field) => ({
          number: field.number,
          name: field.name,
          kind: field.kind,
          repeated: field.repeated,
          packed: field.packed,
          message: field.type === 'message' ? field.typeName : undefined,
        })),
      );
      expect([...spec.byNumber.keys()]).toEqual(fields.map((field) => field.number));
      for (const field of spec.fields) {
        expect(spec.byNumber.get(field.number)).toBe(field);
        if (field.message !== undefined) {
          expect(field.message).toBe(onnxMessageSpecs[field.message.name as keyof typeof onnxMessageSpecs]);
        }
      }
    }
  });

  it('keep their named exports on the right messages', () => {
    expect(ModelSpec).toBe(onnxMessageSpecs.ModelProto);
    expect(TensorSpec).toBe(onnxMessageSpecs.TensorProto);
    expect(TypeSpec).toBe(onnxMessageSpecs.TypeProto);
    expect(DimensionSpec).toBe(onnxMessageSpecs['TensorShapeProto.Dimension']);
    expect(TensorSpec.byNumber.get(9)?.name).toBe('rawData');
  });
});

describe('the generator', () => {
  it('reproduces the committed file byte for byte from the pinned onnx', () => {
    const output = path.join(scratch, 'fresh.generated.ts');
    const result = runGenerator(['--python', python, '--out', output]);
    expect(result).toMatchObject({ status: 0 });
    expect(readFileSync(output).equals(readFileSync(generatedFile))).toBe(true);
  });

  it('writes a different table when a field number in the proto changes', () => {
    const changedProto = path.join(scratch, 'renumbered', 'onnx.proto');
    const text = readFileSync(protoPath, 'utf8');
    expect(text).toMatch(/optional bytes raw_data = 9;/);
    mkdirSync(path.dirname(changedProto), { recursive: true });
    writeFileSync(changedProto, text.replace('optional bytes raw_data = 9;', 'optional bytes raw_data = 99;'));
    const output = path.join(scratch, 'renumbered.generated.ts');
    const result = runGenerator(['--proto', changedProto, '--onnx-version', onnxSchemaSource.onnxVersion, '--out', output]);
    expect(result).toMatchObject({ status: 0 });
    const written = readFileSync(output, 'utf8');
    expect(written).toContain("{ number: 99, name: 'rawData', protoName: 'raw_data'");
    expect(written).not.toContain("{ number: 9, name: 'rawData'");
  });

  it('stops when a typed-array rule no longer matches the proto', () => {
    const changedProto = path.join(scratch, 'renamed', 'onnx.proto');
    mkdirSync(path.dirname(changedProto), { recursive: true });
    writeFileSync(changedProto, readFileSync(protoPath, 'utf8').replace(' float_data = 4', ' float_values = 4'));
    const result = runGenerator(['--proto', changedProto, '--onnx-version', '0.0.0', '--out', path.join(scratch, 'x.ts')]);
    expect(result.status).toBe(2);
    expect(result.stderr).toContain('TensorProto.float_values: a packed TensorProto field without a typed-array rule');
  });
});
