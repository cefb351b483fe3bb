/**
 * The real node is set up for cgroup v1 only: kubelet with the cgroupfs driver and
 * failCgroupV1=false, and the harness creating and removing its cgroup under
 * /sys/fs/cgroup/<controller>/ in each v1 hierarchy. A cgroup v2 (unified) host would need
 * a systemd or v2 cgroupfs set-up that nobody has tested here; this says what is missing.
 */

/** The v1 hierarchies kubelet's cgroupfs driver requires. */
export const CGROUP_V1_CONTROLLERS = ['cpu', 'cpuacct', 'cpuset', 'memory'] as const;

/** Why this machine's cgroups cannot host the real node, or undefined when they can. */
export function cgroupV1Problem(exists: (path: string) => boolean): string | undefined {
  const hint =
    'the real node needs cgroup v1 (one hierarchy per controller under /sys/fs/cgroup, as on hosts booted with systemd.unified_cgroup_hierarchy=0); cgroup v2 is not supported yet';
  if (exists('/sys/fs/cgroup/cgroup.controllers')) {
    return `this machine mounts cgroup v2 at /sys/fs/cgroup (cgroup.controllers exists); ${hint}`;
  }
  const missing = CGROUP_V1_CONTROLLERS.filter((c) => !exists(`/sys/fs/cgroup/${c}`));
  if (missing.length > 0) {
    return `no cgroup v1 hierarchy for ${missing.join(', ')} under /sys/fs/cgroup; ${hint}`;
  }
  return undefined;
}
