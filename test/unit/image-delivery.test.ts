import { describe, expect, it } from 'vitest';
import {
  chooseImageDelivery,
  deliveredName,
  deliveryCommands,
} from '../../scripts/local-up/image-delivery.js';

const IMAGE = 'modeldeploy/operator:dev-0123456789ab';

describe('how npm start --context makes the local images available', () => {
  it('kind-<cluster> contexts: kind load docker-image into that cluster', () => {
    const d = chooseImageDelivery('kind-dev');
    expect(d).toEqual({ kind: 'kind', cluster: 'dev' });
    expect(deliveryCommands(d, IMAGE)).toEqual([
      ['kind', 'load', 'docker-image', IMAGE, '--name', 'dev'],
    ]);
    expect(deliveredName(d, IMAGE)).toBe(IMAGE);
  });

  it('k3d-<cluster> contexts: k3d image import into that cluster', () => {
    const d = chooseImageDelivery('k3d-ml');
    expect(deliveryCommands(d, IMAGE)).toEqual([
      ['k3d', 'image', 'import', IMAGE, '--cluster', 'ml'],
    ]);
  });

  it('--registry wins, even on a kind context: tag and push under that prefix', () => {
    const d = chooseImageDelivery('kind-dev', 'registry.example:5000/team');
    const target = 'registry.example:5000/team/modeldeploy-operator:dev-0123456789ab';
    expect(deliveredName(d, IMAGE)).toBe(target);
    expect(deliveryCommands(d, IMAGE)).toEqual([
      ['docker', 'tag', IMAGE, target],
      ['docker', 'push', target],
    ]);
  });

  it('--images-present: nothing to run, the names stay local', () => {
    const d = chooseImageDelivery('docker-desktop', undefined, true);
    expect(deliveryCommands(d, IMAGE)).toEqual([]);
    expect(deliveredName(d, IMAGE)).toBe(IMAGE);
  });

  it('any other context without --registry is refused with what to give', () => {
    expect(() => chooseImageDelivery('gke_acme_europe-west1_prod')).toThrow(
      /neither a kind .* nor a k3d .* give --registry HOST\/PATH.* or --images-present/,
    );
  });
});
