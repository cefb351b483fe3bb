import type { Verb } from './cli-args.js';

const COMMON = `Cluster flags (the same rules as kubectl):
  --context NAME       kubeconfig context (default: current-context)
  -n, --namespace NS   namespace (default: the context's namespace, else "default")
  --kubeconfig FILE    kubeconfig file (default: $KUBECONFIG, else ~/.kube/config)
  -h, --help           this help`;

const VERB_HELP: Record<Verb, string> = {
  get: `Usage: kubectl mdep get NAME [flags]

Shows a ModelDeployment as a tree: its status, the rollout (phase, step, last analysis),
each track with its version, ready/desired pods and the share of traffic it really gets,
the HPA with its current metric, and the conditions.`,
  watch: `Usage: kubectl mdep watch NAME [--timeout 10m] [--interval 2s] [flags]

Shows the tree of "get", refreshed, until the rollout settles. Exit code:
  0  settled: promoted, or no rollout and Ready
  2  aborted or stalled (Stalled=True)
  3  --timeout passed first (default 10m)
  4  paused (spec.paused)
  1  error (not found, forbidden, cluster unreachable)`,
  promote: `Usage: kubectl mdep promote NAME [flags]

Sets spec.canary.promote: true: the candidate skips its remaining steps and analysis and
becomes stable. Refused when there is no canary or the rollout was aborted. Warns when
Argo CD or Flux manage the object, since their next sync reverts the edit.`,
  abort: `Usage: kubectl mdep abort NAME [flags]

Sets spec.canary.abort: true: all traffic returns to stable (spec.model). The rollout
stays aborted until spec.canary.model or its steps change. Warns when Argo CD or Flux
manage the object.`,
  pause: `Usage: kubectl mdep pause NAME [flags]

Sets spec.paused: true: the operator applies nothing and the rollout is frozen where it
is (time keeps running). Warns when Argo CD or Flux manage the object.`,
  resume: `Usage: kubectl mdep resume NAME [flags]

Sets spec.paused: false: the operator applies the spec again and the rollout continues.`,
  predict: `Usage: kubectl mdep predict NAME -f request.json [--version V] [flags]

Sends one inference through the API server's service proxy (needs create on
services/proxy) and prints the answer and the version that served it. A body whose
"inputs" is a list goes to the KServe v2 route /v2/models/MODEL/infer, any other to
/predict. --version sends to the track serving that version (stable or canary);
-f - reads the request from stdin. For a model with spec.auth, put an API key in
MODELDEPLOY_API_KEY (sent as x-api-key).`,
};

export function verbHelp(verb: Verb): string {
  return `${VERB_HELP[verb]}\n\n${COMMON}\n`;
}

export function overallHelp(): string {
  return `kubectl mdep: ModelDeployments and their canary rollouts, from kubectl.

Commands:
  get NAME                     the ModelDeployment as a tree
  watch NAME                   the tree, refreshed until the rollout settles
  promote NAME                 finish the rollout now (spec.canary.promote)
  abort NAME                   stop the rollout, all traffic to stable (spec.canary.abort)
  pause NAME | resume NAME     freeze and unfreeze (spec.paused)
  predict NAME -f request.json one inference through the service proxy

Run kubectl mdep COMMAND --help for a command's flags.

${COMMON}
`;
}
