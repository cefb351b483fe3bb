/**
 * A Kubernetes MicroTime (RFC 3339 with microseconds), as events.k8s.io Events and Lease
 * renewTime require: JavaScript dates have milliseconds, so three zeros are appended.
 */
export function microTime(d: Date): string {
  return d.toISOString().replace(/\.(\d{3})Z$/, '.$1000Z');
}
