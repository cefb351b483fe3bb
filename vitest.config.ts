import { defineConfig } from 'vitest/config';

// Projects so each suite pays only for the real components it needs: `unit` is pure
// logic, `runtime` starts real onnxruntime servers on loopback, `prometheus` runs a real
// Prometheus server, `integration` gets a real control plane from the cluster harness,
// `e2e` adds a real node running our images, `images` builds and runs the images.
export default defineConfig({
  test: {
    reporters: ['default'],
    projects: [
      {
        test: {
          name: 'unit',
          include: [
            'operator/src/**/*.test.ts',
            'runtime/src/**/*.test.ts',
            'test/unit/**/*.test.ts',
          ],
          environment: 'node',
        },
      },
      {
        test: {
          name: 'runtime',
          include: ['test/runtime/**/*.test.ts'],
          environment: 'node',
          testTimeout: 60_000,
          hookTimeout: 60_000,
        },
      },
      {
        test: {
          name: 'prometheus',
          include: ['test/integration-prometheus/**/*.test.ts'],
          environment: 'node',
          testTimeout: 60_000,
          hookTimeout: 600_000,
        },
      },
      {
        test: {
          name: 'integration',
          include: ['test/integration/**/*.test.ts'],
          environment: 'node',
          globalSetup: ['test/cluster/global-setup.ts'],
          // One file at a time: on two cores, parallel files starve the control plane and
          // turn timing claims (lease failover, rollout steps) into flakes.
          fileParallelism: false,
          testTimeout: 120_000,
          hookTimeout: 180_000,
        },
      },
      {
        test: {
          // A cluster with a REAL node (containerd, kubelet, kube-proxy) running our images.
          name: 'e2e',
          include: ['test/e2e/**/*.test.ts'],
          environment: 'node',
          globalSetup: ['test/e2e/global-setup.ts'],
          // One file at a time: suites install cluster-wide things (an APIService, a chart
          // whose operator watches every namespace) that another file's operator would meet.
          fileParallelism: false,
          testTimeout: 240_000,
          hookTimeout: 600_000,
        },
      },
      {
        test: {
          // Builds (or reuses) the images in globalSetup and runs them with testcontainers.
          name: 'images',
          include: ['test/images/**/*.test.ts'],
          environment: 'node',
          globalSetup: ['test/images/global-setup.ts'],
          // Ryuk, testcontainers' reaper, would have to be pulled from a registry;
          // global-setup.ts removes this project's leftover containers instead.
          env: { TESTCONTAINERS_RYUK_DISABLED: 'true' },
          testTimeout: 90_000,
          hookTimeout: 90_000,
        },
      },
    ],
  },
});
