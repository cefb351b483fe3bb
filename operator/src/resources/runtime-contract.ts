/**
 * Fixed facts shared by the runtime image and the objects the operator builds around it.
 * The runtime reads these through its environment (see runtime-env.ts); Services, probes
 * and Prometheus annotations refer to the same port, so they live in one place.
 */

/** The runtime listens here; Prometheus scrapes /metrics on the same port. */
export const RUNTIME_PORT = 8080;
/** Services target the port by name, so the number can change without touching Services. */
export const RUNTIME_PORT_NAME = 'http';
/**
 * The Open Inference Protocol V2 over gRPC (GRPC_PORT): the container port, and the port of
 * every Service, named `grpc` with appProtocol grpc so meshes and gateways speak HTTP/2 to it.
 * 8081 is KServe's gRPC port.
 */
export const RUNTIME_GRPC_PORT = 8081;
export const RUNTIME_GRPC_PORT_NAME = 'grpc';
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
/** The shadow token Secret (stable and shadow pods, while a shadow track runs with auth on). */
export const SHADOW_TOKEN_DIR = '/etc/modeldeploy/shadow-token';

/**
 * After SIGTERM the runtime reports not ready at once but keeps accepting and serving for this
 * long (SHUTDOWN_DELAY_MS), because endpoints are withdrawn asynchronously: kube-proxy on
 * every node, ingress controllers and clients keep opening connections to the pod for a few
 * seconds. The delay lives in the runtime rather than in a `preStop` sleep: the runtime's
 * readiness turns 503 at the start of the delay (a preStop sleep runs before SIGTERM, so the
 * pod would report ready throughout), the image has no shell for `exec: sleep`, the built-in
 * `sleep` action needs Kubernetes 1.30 or later, and the same behaviour holds outside
 * Kubernetes (docker stop, systemd), where it is tested.
 */
export const SHUTDOWN_DELAY_MS = 5000;
/** Time for accepted work to finish once the listener closes (in-flight and queued batches). */
export const DRAIN_MS = 25_000;
/** Margin between the runtime's drain deadline and SIGKILL, for the process to exit. */
export const SHUTDOWN_MARGIN_MS = 5000;
/**
 * The pod's terminationGracePeriodSeconds: delay + drain + margin, so the runtime's own
 * deadline (SHUTDOWN_GRACE_MS = delay + drain, counted from SIGTERM) comes before SIGKILL.
 */
export const TERMINATION_GRACE_SECONDS = (SHUTDOWN_DELAY_MS + DRAIN_MS + SHUTDOWN_MARGIN_MS) / 1000;

export const HEALTH_PATH = '/health';
export const READY_PATH = '/ready';
export const METRICS_PATH = '/metrics';
