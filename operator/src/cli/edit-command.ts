import { apiFailure } from './api-failure.js';
import type { CliOutput } from './cli-output.js';
import { fetchModelDeployment, MDEP_RESOURCE, mdepPath } from './fetch-snapshot.js';
import { gitOpsWarning } from './gitops-owner.js';
import type { KubeSession } from './kube-session.js';
import { planEdit, type EditVerb } from './spec-edits.js';
import { CliError } from './api-failure.js';

const FIELD: Record<EditVerb, string> = {
  promote: 'spec.canary.promote',
  abort: 'spec.canary.abort',
  pause: 'spec.paused',
  resume: 'spec.paused',
};

/** promote, abort, pause, resume: one merge patch of the spec, the edit docs/canary.md describes. */
export async function runEdit(
  session: KubeSession,
  verb: EditVerb,
  name: string,
  io: CliOutput,
): Promise<number> {
  const md = await fetchModelDeployment(session, name);
  const plan = planEdit(verb, md);
  if (plan.kind === 'refused') throw new CliError(plan.says);
  if (plan.kind === 'nothing') {
    io.out(`${plan.says}\n`);
    return 0;
  }
  const warning = gitOpsWarning(md.metadata, FIELD[verb]);
  if (warning !== undefined) io.err(`${warning}\n`);
  const res = await session.request(
    'PATCH',
    `${mdepPath(session.namespace, name)}?fieldManager=kubectl-mdep`,
    JSON.stringify(plan.patch),
    'application/merge-patch+json',
  );
  if (res.status !== 200) {
    throw apiFailure(res.status, res.body, {
      verb: 'patch',
      resource: MDEP_RESOURCE,
      name,
      namespace: session.namespace,
      context: session.context,
    });
  }
  io.out(`${plan.says}\n`);
  return 0;
}
