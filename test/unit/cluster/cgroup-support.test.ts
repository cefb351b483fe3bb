import { describe, expect, it } from 'vitest';
import { cgroupV1Problem } from '../../cluster/cgroup-support.js';

const v1 = new Set(['memory', 'cpu', 'cpuacct', 'cpuset'].map((c) => `/sys/fs/cgroup/${c}`));

describe('cgroupV1Problem', () => {
  it('accepts a host with the v1 hierarchies', () => {
    expect(cgroupV1Problem((p) => v1.has(p))).toBeUndefined();
  });

  it('names cgroup v2 when /sys/fs/cgroup is the unified hierarchy', () => {
    const v2 = (p: string): boolean => p === '/sys/fs/cgroup/cgroup.controllers';
    expect(cgroupV1Problem(v2)).toMatch(
      /^this machine mounts cgroup v2 at \/sys\/fs\/cgroup .*the real node needs cgroup v1/,
    );
  });

  it('names the v1 hierarchies that are missing', () => {
    const noCpuset = (p: string): boolean => v1.has(p) && p !== '/sys/fs/cgroup/cpuset';
    expect(cgroupV1Problem(noCpuset)).toMatch(/^no cgroup v1 hierarchy for cpuset under/);
  });
});
