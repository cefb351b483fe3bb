/** The images scripts/build-images.sh builds, and a look-up that needs no docker CLI. */
import { ImageName, getContainerRuntimeClient } from 'testcontainers';

export const IMAGES = {
  runtime: 'modeldeploy/runtime:dev',
  operator: 'modeldeploy/operator:dev',
  /** The runtime with examples/models/mlp-tiny.onnx baked in at /models/model.onnx. */
  runtimeExample: 'modeldeploy/runtime-example:dev',
} as const;

export async function imageExists(image: string): Promise<boolean> {
  const client = await getContainerRuntimeClient();
  return client.image.exists(ImageName.fromString(image));
}
