import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { resolveModelUri } from './model-uri.js';

describe('resolveModelUri', () => {
  it('resolves paths, file:// and pvc://', () => {
    expect(resolveModelUri('./m.onnx', '/mnt/models')).toEqual({
      kind: 'file',
      path: resolve('m.onnx'),
    });
    expect(resolveModelUri('file:///models/m.onnx', '/mnt/models')).toEqual({
      kind: 'file',
      path: '/models/m.onnx',
    });
    expect(resolveModelUri('pvc://claim-a/dir/m.onnx', '/mnt/models')).toEqual({
      kind: 'file',
      path: '/mnt/models/claim-a/dir/m.onnx',
    });
    expect(resolveModelUri('https://h/m.onnx?sig=1', '/r')).toEqual({
      kind: 'http',
      url: 'https://h/m.onnx?sig=1',
    });
  });

  it('rejects bad pvc URIs and unknown schemes', () => {
    expect(() => resolveModelUri('pvc://claim', '/r')).toThrow(/pvc:\/\/<claim>\/<path/);
    expect(() => resolveModelUri('pvc://claim/../../etc/passwd', '/r')).toThrow(/leaves the claim/);
    expect(() => resolveModelUri('hf://org/m.onnx', '/r')).toThrow(/unsupported scheme/);
    expect(() => resolveModelUri('s3://bucket-only', '/r')).toThrow(/s3:\/\/<bucket>\/<key/);
    expect(() => resolveModelUri('gs://bucket-only', '/r')).toThrow(/gs:\/\/<bucket>\/<object/);
  });

  it('splits s3:// into bucket and key, keeping slashes in the key', () => {
    expect(resolveModelUri('s3://models/iris/v2/model.onnx', '/r')).toEqual({
      kind: 's3',
      bucket: 'models',
      key: 'iris/v2/model.onnx',
    });
  });

  it('splits gs:// into bucket and object name, keeping slashes in the name', () => {
    expect(resolveModelUri('gs://models/iris/v2/model.onnx', '/r')).toEqual({
      kind: 'gs',
      bucket: 'models',
      object: 'iris/v2/model.onnx',
    });
  });
});
