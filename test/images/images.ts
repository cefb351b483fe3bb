/** The images scripts/build-images.sh builds, and a look-up that needs no docker CLI. */
import { ImageName, getContainerRuntimeClient } from 'testcontainers';
import { imageName } from '../support/image-tag.js';

export const IMAGES = {
  runtime: imageName('runtime'),
  operator: imageName('operator'),
  /** The runtime with examples/models/mlp-tiny.onnx baked in at /models/model.onnx. */
  runtimeExample: imageName('runtime-example'),
} as const;

export async function imageExists(image: string): Promise<boolean> {
  const client = await getContainerRuntimeClient();
  return client.image.exists(ImageName.fromString(image));
}
