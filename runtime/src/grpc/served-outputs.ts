import { binaryValues, UnreadableAnswer } from '../shadow/answer-outputs.js';
import type { ComparedOutputs, ComparedTensor } from '../shadow/compared-outputs.js';
import type { InferOutputTensor, ModelInferResponse, OutputContents } from './messages.js';

/** The outputs of a ModelInfer answer, as the shadow's REST answer is read for comparison. */
export function servedOutputs(response: ModelInferResponse): ComparedOutputs {
  const raw = response.raw_output_contents;
  return new Map(
    response.outputs.map((output, index): [string, ComparedTensor] => {
      const bytes = raw[index];
      const values =
        bytes !== undefined
          ? binaryValues(output.datatype, bytes)
          : typedValues(output, output.contents);
      return [output.name, { shape: output.shape, values }];
    }),
  );
}

/** Typed contents hold numbers, booleans, or int64 as decimal text (infer-outputs.ts). */
function typedValues(
  output: InferOutputTensor,
  contents: OutputContents | undefined,
): Float64Array {
  const populated = Object.values(contents ?? {}).find((v) => v !== undefined && v.length > 0);
  const elements = populated ?? [];
  const count = output.shape.reduce((a, b) => a * b, 1);
  if (elements.length !== count)
    throw new UnreadableAnswer(
      `gRPC output '${output.name}' carries ${elements.length} elements for shape [${output.shape.join(',')}]`,
    );
  return Float64Array.from(elements, (v) => Number(v));
}
