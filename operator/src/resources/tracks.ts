/**
 * A ModelDeployment runs up to three tracks: `stable` serves spec.model, `canary` serves
 * spec.canary.model while a rollout is under way, and `shadow` serves spec.shadow.model to
 * the copies stable pods mirror to it, never to users. Each track is its own Deployment.
 */
export type Track = 'stable' | 'canary' | 'shadow';

/** The model one track serves; the controller picks it from spec.model or spec.canary.model. */
export interface TrackModel {
  version: string;
  uri: string;
  sha256?: string;
}
