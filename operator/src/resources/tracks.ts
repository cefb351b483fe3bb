/**
 * A ModelDeployment runs up to two tracks: `stable` serves spec.model, `canary` serves
 * spec.canary.model while a rollout is under way. Each track is its own Deployment.
 */
export type Track = 'stable' | 'canary';

/** The model one track serves; the controller picks it from spec.model or spec.canary.model. */
export interface TrackModel {
  version: string;
  uri: string;
  sha256?: string;
}
