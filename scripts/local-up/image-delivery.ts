/**
 * How `npm start -- --context NAME` makes the locally built images available to the
 * user's cluster: kind and k3d import them into their nodes (their contexts are named
 * kind-<cluster> and k3d-<cluster>); any other cluster pulls them from --registry, or
 * already has them (--images-present: Docker Desktop's or Rancher Desktop's Kubernetes on
 * the same Docker daemon, minikube after `minikube image load`, a node you imported into).
 */

export type ImageDelivery =
  | { readonly kind: 'kind'; readonly cluster: string }
  | { readonly kind: 'k3d'; readonly cluster: string }
  | { readonly kind: 'registry'; readonly prefix: string }
  | { readonly kind: 'present' };

/** Chosen from the context name; --registry or --images-present win. Throws with what to do. */
export function chooseImageDelivery(
  context: string,
  registry?: string,
  imagesPresent = false,
): ImageDelivery {
  if (imagesPresent) return { kind: 'present' };
  if (registry !== undefined) return { kind: 'registry', prefix: registry };
  const kind = /^kind-(.+)$/.exec(context)?.[1];
  if (kind !== undefined) return { kind: 'kind', cluster: kind };
  const k3d = /^k3d-(.+)$/.exec(context)?.[1];
  if (k3d !== undefined) return { kind: 'k3d', cluster: k3d };
  throw new Error(
    `context ${context} is neither a kind (kind-<cluster>) nor a k3d (k3d-<cluster>) context, so its nodes cannot import the local images; give --registry HOST/PATH, a registry the cluster pulls from and you may push to, or --images-present when its nodes already have the local images (Docker Desktop)`,
  );
}

/** The name the cluster pulls `image` (modeldeploy/<what>:<tag>) by. */
export function deliveredName(delivery: ImageDelivery, image: string): string {
  if (delivery.kind !== 'registry') return image;
  const tail = image.replace(/^modeldeploy\//, 'modeldeploy-');
  return `${delivery.prefix}/${tail}`;
}

/** The commands that deliver `image`, each an argv. */
export function deliveryCommands(delivery: ImageDelivery, image: string): string[][] {
  switch (delivery.kind) {
    case 'kind':
      return [['kind', 'load', 'docker-image', image, '--name', delivery.cluster]];
    case 'k3d':
      return [['k3d', 'image', 'import', image, '--cluster', delivery.cluster]];
    case 'present':
      return [];
    case 'registry': {
      const target = deliveredName(delivery, image);
      return [
        ['docker', 'tag', image, target],
        ['docker', 'push', target],
      ];
    }
  }
}
