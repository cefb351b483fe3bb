import { writeFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * Writes an ONNX model `input` FP32 [batch, width] → Identity → `output` FP32 [batch, width]:
 * it takes the tiny MLP's input but answers in another shape (64 columns instead of 10),
 * the shape-changed shadow. Encoded here with the few protobuf fields a model needs, so the
 * test needs no Python.
 */
export function writeIdentityModel(dir: string, width: number): string {
  const tensorType = (batch: string): Buffer =>
    message(1, [
      varintField(1, 1), // elem_type FLOAT
      message(2, [message(1, [stringField(2, batch)]), message(1, [varintField(1, width)])]),
    ]);
  const valueInfo = (field: number, name: string): Buffer =>
    message(field, [stringField(1, name), message(2, [tensorType('batch')])]);
  const graph = message(7, [
    message(1, [stringField(1, 'input'), stringField(2, 'output'), stringField(4, 'Identity')]),
    stringField(2, 'identity'),
    valueInfo(11, 'input'),
    valueInfo(12, 'output'),
  ]);
  const model = Buffer.concat([
    varintField(1, 8), // ir_version
    graph,
    message(8, [stringField(1, ''), varintField(2, 17)]), // opset_import: ai.onnx 17
  ]);
  const path = join(dir, `identity-${width}.onnx`);
  writeFileSync(path, model);
  return path;
}

function varint(value: number): Buffer {
  const bytes: number[] = [];
  let v = value;
  while (v > 0x7f) {
    bytes.push((v & 0x7f) | 0x80);
    v = Math.floor(v / 128);
  }
  bytes.push(v);
  return Buffer.from(bytes);
}

function varintField(field: number, value: number): Buffer {
  return Buffer.concat([varint(field << 3), varint(value)]);
}

function bytesField(field: number, bytes: Buffer): Buffer {
  return Buffer.concat([varint((field << 3) | 2), varint(bytes.length), bytes]);
}

function stringField(field: number, text: string): Buffer {
  return bytesField(field, Buffer.from(text, 'utf8'));
}

function message(field: number, parts: Buffer[]): Buffer {
  return bytesField(field, Buffer.concat(parts));
}
