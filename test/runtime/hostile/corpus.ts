import { deflateSync, gzipSync } from 'node:zlib';

/** One hostile request and what its refusal must name. */
export interface HostileCase {
  readonly what: string;
  readonly path: string;
  readonly headers: Readonly<Record<string, string>>;
  readonly body: Buffer;
  /** A 4xx body's error must match this: the offending input, header or limit. */
  readonly names: RegExp;
}

/** The model the corpus is written for: mlp-tiny, input 'input' FP32 [-1,64], output 'output'. */
const MODEL = 'mlp-tiny';
const V2 = `/v2/models/${MODEL}/infer`;
const V1 = `/v1/models/${MODEL}:predict`;
const JSON_TYPE = { 'content-type': 'application/json' };
const INPUT = /input/;

/** A small seeded generator, so that a failing case can be reproduced by its index. */
function random(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const json = (value: unknown): Buffer => Buffer.from(JSON.stringify(value));
const row = (): number[] => Array.from({ length: 64 }, (_, i) => i / 64);

function jsonCase(what: string, path: string, body: Buffer | string, names: RegExp): HostileCase {
  return {
    what,
    path,
    headers: JSON_TYPE,
    body: typeof body === 'string' ? Buffer.from(body) : body,
    names,
  };
}

const v2Body = (input: Record<string, unknown>): Record<string, unknown> => ({
  inputs: [{ name: 'input', shape: [1, 64], datatype: 'FP32', data: row(), ...input }],
});

function wrongDatatypes(): HostileCase[] {
  const types = ['BOOL', 'UINT8', 'UINT16', 'UINT32', 'UINT64', 'INT8', 'INT16', 'INT32', 'INT64'];
  const other = ['FP64', 'FP16', 'BF16', 'BYTES', 'float32', 'FLOAT', '', 'fp32', 'STRING'];
  return [...types, ...other].map((datatype) =>
    jsonCase(`datatype ${datatype}`, V2, json(v2Body({ datatype })), /input|datatype/),
  );
}

function wrongShapes(next: () => number): HostileCase[] {
  const cases: HostileCase[] = [];
  for (let i = 0; i < 60; i++) {
    const rank = 1 + Math.floor(next() * 4);
    const shape = Array.from({ length: rank }, () => 1 + Math.floor(next() * 70));
    if (rank === 2 && shape[1] === 64) shape[1] = 63;
    cases.push(jsonCase(`shape [${shape.join(',')}]`, V2, json(v2Body({ shape })), INPUT));
  }
  return cases;
}

function hugeAndNegativeDims(): HostileCase[] {
  const dims = [-1, -5, 1.5, 1e12, 2 ** 53, 2 ** 31, 1e300, -0.5, 65536 * 65536];
  const cases: HostileCase[] = [];
  for (const d of dims) {
    cases.push(jsonCase(`dim0 ${d}`, V2, json(v2Body({ shape: [d, 64] })), /input|shape/));
    cases.push(jsonCase(`dim1 ${d}`, V2, json(v2Body({ shape: [1, d] })), /input|shape/));
    // The same lie in a binary request: a shape that claims far more than the bytes sent.
    cases.push(binaryCase(`binary dim0 ${d}`, [d, 64], 256, 256, /input|shape/));
  }
  return cases;
}

function wrongNames(next: () => number): HostileCase[] {
  const cases: HostileCase[] = [];
  for (let i = 0; i < 40; i++) {
    const name = `in${Math.floor(next() * 1e6)}`;
    cases.push(jsonCase(`V2 name ${name}`, V2, json(v2Body({ name })), INPUT));
    cases.push(
      jsonCase(
        `predict name ${name}`,
        '/predict',
        json({ inputs: { [name]: [row()] } }),
        new RegExp(name),
      ),
    );
  }
  cases.push(
    jsonCase('unknown output', V2, json({ ...v2Body({}), outputs: [{ name: 'nope' }] }), /output/),
  );
  cases.push(
    jsonCase(
      '200000 inputs',
      V2,
      json({ inputs: Array.from({ length: 200_000 }, () => ({ name: 'x' })) }),
      /200000 entries.*'input'|BODY_LIMIT_BYTES/,
    ),
  );
  cases.push(
    jsonCase(
      '50000 outputs',
      V2,
      json({ ...v2Body({}), outputs: Array.from({ length: 50_000 }, () => ({ name: 'output' })) }),
      /50000 entries.*'output'/,
    ),
  );
  cases.push(
    jsonCase(
      'predict 20000 input keys',
      '/predict',
      json({
        inputs: Object.fromEntries(Array.from({ length: 20_000 }, (_, i) => [`k${i}`, [[0]]])),
      }),
      /20000 entries/,
    ),
  );
  return cases;
}

/** Values that are not FP32 numbers, at a random place of a row, in every protocol. */
function badValues(next: () => number): HostileCase[] {
  const raw = [
    'NaN',
    'Infinity',
    '-Infinity',
    '1e999',
    '-1e999',
    '3.5e38',
    '-3.5e38',
    '1e300',
    'null',
    'true',
    '"1"',
    '{}',
    '[]',
    '"NaN"',
    '[1]',
  ];
  const cases: HostileCase[] = [];
  for (const value of raw) {
    for (let k = 0; k < 4; k++) {
      const at = Math.floor(next() * 64);
      const cells = row().map(String);
      cells[at] = value;
      const data = `[${cells.join(',')}]`;
      const v2 = `{"inputs":[{"name":"input","shape":[1,64],"datatype":"FP32","data":${data}}]}`;
      // JSON has no NaN or Infinity: those bodies are malformed JSON, which must say so.
      const names = /^(NaN|-?Infinity)$/.test(value) ? /not valid JSON/ : INPUT;
      cases.push(jsonCase(`V2 value ${value} at ${at}`, V2, v2, names));
      cases.push(
        jsonCase(
          `predict value ${value} at ${at}`,
          '/predict',
          `{"inputs":{"input":[${data}]}}`,
          names,
        ),
      );
      cases.push(jsonCase(`V1 value ${value} at ${at}`, V1, `{"instances":[${data}]}`, names));
    }
  }
  return cases;
}

function badJson(): HostileCase[] {
  const bodies = [
    '',
    '{',
    '{"inputs":',
    'null',
    '[]',
    '"text"',
    '{"inputs": [}',
    '\u00ff\u00fe{}',
    '{"inputs":[{"name":"input"',
    '123',
    '{"inputs":{"input":[[0.1,]]}}',
  ];
  const cases = bodies.flatMap((b) =>
    [V2, '/predict', V1].map((path) =>
      jsonCase(
        `body ${JSON.stringify(b).slice(0, 20)} to ${path}`,
        path,
        b,
        /JSON|invalid request|body|inputs|instances|input/,
      ),
    ),
  );
  const invalidUtf8 = Buffer.concat([
    Buffer.from('{"inputs":{"input":[['),
    Buffer.from([0xc3, 0x28, 0xff]),
    Buffer.from(']]}}'),
  ]);
  cases.push(jsonCase('invalid UTF-8', '/predict', invalidUtf8, /JSON/));
  return cases;
}

function deepNesting(): HostileCase[] {
  return [65, 100, 1000, 100_000, 400_000].flatMap((depth) => [
    jsonCase(
      `depth ${depth} predict`,
      '/predict',
      `{"inputs":{"input":${'['.repeat(depth)}${']'.repeat(depth)}}}`,
      /64 levels/,
    ),
    jsonCase(
      `depth ${depth} parameters`,
      V2,
      `{"parameters":${'{"a":'.repeat(depth)}1${'}'.repeat(depth)},"inputs":[]}`,
      /64 levels|BODY_LIMIT_BYTES/,
    ),
  ]);
}

function encodings(): HostileCase[] {
  const good = json(v2Body({}));
  const gz = gzipSync(good);
  const cases: HostileCase[] = [];
  for (let cut = 1; cut < gz.length; cut += Math.max(1, Math.floor(gz.length / 30))) {
    cases.push({
      what: `gzip cut at ${cut}`,
      path: V2,
      headers: { ...JSON_TYPE, 'content-encoding': 'gzip' },
      body: gz.subarray(0, cut),
      names: /gzip/,
    });
  }
  for (const coding of ['br', 'compress', 'zstd', 'gzip, br', 'bogus']) {
    cases.push({
      what: `coding ${coding}`,
      path: V2,
      headers: { ...JSON_TYPE, 'content-encoding': coding },
      body: good,
      names: /Content-Encoding/,
    });
  }
  cases.push({
    what: 'plain JSON said to be gzip',
    path: V2,
    headers: { ...JSON_TYPE, 'content-encoding': 'gzip' },
    body: good,
    names: /gzip/,
  });
  cases.push({
    what: 'gzip said to be deflate',
    path: V2,
    headers: { ...JSON_TYPE, 'content-encoding': 'deflate' },
    body: gz,
    names: /deflate/,
  });
  cases.push({
    what: 'deflate garbage',
    path: '/predict',
    headers: { ...JSON_TYPE, 'content-encoding': 'deflate' },
    body: Buffer.from('not deflate at all'),
    names: /deflate/,
  });
  const gzippedBad = gzipSync(Buffer.from('{"inputs": ['));
  cases.push({
    what: 'gzip of broken JSON',
    path: '/predict',
    headers: { ...JSON_TYPE, 'content-encoding': 'gzip' },
    body: gzippedBad,
    names: /JSON/,
  });
  return cases;
}

/** Bodies that inflate far past the body limit (1 MiB in the corpus test). */
function bombs(): HostileCase[] {
  const zeros = Buffer.alloc(8 * 1024 * 1024);
  const spaces = Buffer.alloc(4 * 1024 * 1024, 0x20);
  return [
    { what: 'gzip bomb of zeros', path: V2, coding: 'gzip', body: gzipSync(zeros, { level: 9 }) },
    {
      what: 'deflate bomb of zeros',
      path: '/predict',
      coding: 'deflate',
      body: deflateSync(zeros, { level: 9 }),
    },
    {
      what: 'gzip bomb of JSON whitespace',
      path: V1,
      coding: 'gzip',
      body: gzipSync(spaces, { level: 9 }),
    },
  ].map((b) => ({
    what: b.what,
    path: b.path,
    headers: { ...JSON_TYPE, 'content-encoding': b.coding },
    body: b.body,
    names: /BODY_LIMIT_BYTES=\d+ once decompressed/,
  }));
}

function contentTypes(): HostileCase[] {
  const types = [
    'text/plain',
    'application/xml',
    'multipart/form-data; boundary=x',
    'application/x-www-form-urlencoded',
    'text/html',
    'image/png',
  ];
  return types.flatMap((type) =>
    [V2, '/predict', V1].map((path) => ({
      what: `${type} to ${path}`,
      path,
      headers: { 'content-type': type },
      body: json(v2Body({})),
      names: /content type/,
    })),
  );
}

function binaryCase(
  what: string,
  shape: number[],
  declared: number,
  sent: number,
  names: RegExp,
  headerLength?: string,
): HostileCase {
  const header = Buffer.from(
    JSON.stringify({
      inputs: [
        { name: 'input', shape, datatype: 'FP32', parameters: { binary_data_size: declared } },
      ],
    }),
  );
  return {
    what,
    path: V2,
    headers: {
      'content-type': 'application/octet-stream',
      'inference-header-content-length': headerLength ?? String(header.length),
    },
    body: Buffer.concat([header, Buffer.alloc(sent)]),
    names,
  };
}

function binaryLies(): HostileCase[] {
  const cases: HostileCase[] = [];
  for (const length of ['-1', '1e9', 'abc', '99999999', '0', '3', '1.5']) {
    cases.push(
      binaryCase(
        `header length ${length}`,
        [1, 64],
        256,
        256,
        /Inference-Header-Content-Length|JSON|input/,
        length,
      ),
    );
  }
  for (const [declared, sent] of [
    [255, 256],
    [257, 256],
    [0, 256],
    [256, 0],
    [512, 256],
    [-4, 256],
    [1e12, 256],
  ] as const) {
    cases.push(
      binaryCase(
        `binary_data_size ${declared} for ${sent} bytes`,
        [1, 64],
        declared,
        sent,
        /input|binary/,
      ),
    );
  }
  const nan = Buffer.alloc(256);
  nan.writeFloatLE(Number.NaN, 12);
  const header = Buffer.from(
    JSON.stringify({
      inputs: [
        { name: 'input', shape: [1, 64], datatype: 'FP32', parameters: { binary_data_size: 256 } },
      ],
    }),
  );
  cases.push({
    what: 'binary NaN',
    path: V2,
    headers: {
      'content-type': 'application/octet-stream',
      'inference-header-content-length': String(header.length),
    },
    body: Buffer.concat([header, nan]),
    names: /input 'input': element 3/,
  });
  cases.push({
    what: 'binary data to /predict',
    path: '/predict',
    headers: { 'content-type': 'application/octet-stream', 'inference-header-content-length': '2' },
    body: Buffer.from('{}xxxx'),
    names: /binary/,
  });
  return cases;
}

function sizeLimits(): HostileCase[] {
  // REQUEST_MAX_ROWS is 64 in the corpus test.
  const rows = (n: number) => Array.from({ length: n }, row);
  return [65, 100, 500].flatMap((n) => [
    jsonCase(
      `predict ${n} rows`,
      '/predict',
      json({ inputs: { input: rows(n) } }),
      /REQUEST_MAX_ROWS=64/,
    ),
    jsonCase(`V1 ${n} rows`, V1, json({ instances: rows(n) }), /REQUEST_MAX_ROWS=64/),
    jsonCase(
      `V2 ${n} rows`,
      V2,
      json(v2Body({ shape: [n, 64], data: rows(n).flat() })),
      /REQUEST_MAX_ROWS=64/,
    ),
  ]);
}

/** At least 500 cases, the same ones on every run. */
export function hostileCorpus(seed = 17): HostileCase[] {
  const next = random(seed);
  return [
    ...wrongDatatypes(),
    ...wrongShapes(next),
    ...hugeAndNegativeDims(),
    ...wrongNames(next),
    ...badValues(next),
    ...badJson(),
    ...deepNesting(),
    ...encodings(),
    ...bombs(),
    ...contentTypes(),
    ...binaryLies(),
    ...sizeLimits(),
  ];
}
