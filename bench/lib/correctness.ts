import {
  compareOutput,
  expectedRows,
  rowsBody,
  v2BinaryBody,
  v2Body,
  type BenchModel,
} from './models.js';
import { assertLoopback } from './wrk.js';

/**
 * How a server takes a request: Open Inference Protocol V2 with JSON tensors, V2 with the
 * binary tensor data extension, or peer A's {"inputs": rows}.
 */
export type Protocol = 'v2' | 'v2-binary' | 'rows';

/** A request body with the headers it needs. */
export interface LoadRequest {
  readonly body: string | Uint8Array;
  readonly contentType: string;
  readonly headers: Readonly<Record<string, string>>;
}

export function loadRequest(protocol: Protocol, model: BenchModel, rows: number): LoadRequest {
  switch (protocol) {
    case 'v2':
      return { body: v2Body(model, rows), contentType: 'application/json', headers: {} };
    case 'rows':
      return { body: rowsBody(model, rows), contentType: 'application/json', headers: {} };
    case 'v2-binary': {
      const { body, headerLength } = v2BinaryBody(model, rows);
      return {
        body,
        contentType: 'application/octet-stream',
        headers: { 'Inference-Header-Content-Length': String(headerLength) },
      };
    }
  }
}

/**
 * Sends the golden input (all its rows, then the one-row body the load uses) and throws unless
 * the answers match the golden outputs within the golden tolerance: a wrong answer fails the run.
 */
export async function checkAnswers(
  url: string,
  protocol: Protocol,
  model: BenchModel,
): Promise<void> {
  assertLoopback(url);
  for (const rows of [model.goldenRows, 1]) {
    const request = loadRequest(protocol, model, rows);
    const res = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': request.contentType, ...request.headers },
      body: request.body,
      signal: AbortSignal.timeout(30_000),
    });
    const text = await res.text();
    if (res.status !== 200) {
      throw new Error(`${url} answered ${res.status} to the golden request: ${text.slice(0, 300)}`);
    }
    const got = outputValues(protocol, model, JSON.parse(text) as unknown);
    const problem = compareOutput(got, expectedRows(model, rows), model.tolerance);
    if (problem !== undefined) {
      throw new Error(`${url}: wrong answer for ${model.name} (${rows} rows): ${problem}`);
    }
  }
}

function outputValues(protocol: Protocol, model: BenchModel, json: unknown): number[] {
  if (protocol !== 'rows') {
    const outputs = (json as { outputs?: { name: string; data: unknown[] }[] }).outputs ?? [];
    const output = outputs.find((o) => o.name === model.outputName);
    if (output === undefined) throw new Error(`no output '${model.outputName}' in the answer`);
    return output.data.flat(Infinity) as number[];
  }
  const outputs = (json as { outputs?: unknown[] }).outputs;
  if (!Array.isArray(outputs)) throw new Error('no "outputs" array in the answer');
  return outputs.flat(Infinity) as number[];
}
