/**
 * Fixed facts shared by the runtime image and the objects the operator builds around it.
 * The runtime reads these through its environment (see runtime-env.ts); Services, probes
 * and Prometheus annotations refer to the same port, so they live in one place.
 */

/** The runtime listens here; Prometheus scrapes /metrics on the same port. */
export const RUNTIME_PORT = 8080;
/** Services target the port by name, so the number can change without touching Services. */
export const RUNTIME_PORT_NAME = 'http';
export const RUNTIME_CONTAINER_NAME = 'runtime';

/** The USER of the runtime image (Dockerfile.runtime); set on the pod so runAsNonRoot can verify it. */
export const RUNTIME_UID = 65532;

/** Downloaded models are cached on the /tmp emptyDir because the root filesystem is read-only. */
export const TMP_DIR = '/tmp';
export const MODEL_CACHE_DIR = '/tmp/modeldeploy-models';
/** pvc://<claim>/<path> resolves to <PVC_MOUNT_ROOT>/<claim>/<path> inside the runtime. */
export const PVC_MOUNT_ROOT = '/mnt/models';
export const API_KEYS_DIR = '/etc/modeldeploy/api-keys';
export const JWT_KEYS_DIR = '/etc/modeldeploy/jwt';

/**
 * Kubernetes' own default, set explicitly because SHUTDOWN_GRACE_MS is derived from it:
 * the runtime must finish draining before the kubelet sends SIGKILL.
 */
export const TERMINATION_GRACE_SECONDS = 30;
/** Margin between the runtime's drain deadline and SIGKILL, for the process to exit. */
export const SHUTDOWN_MARGIN_MS = 5000;

export const HEALTH_PATH = '/health';
export const READY_PATH = '/ready';
export const METRICS_PATH = '/metrics';
