/** An error the plugin prints as-is (no stack) before exiting non-zero. */
export class CliError extends Error {
  constructor(
    message: string,
    readonly exitCode = 1,
  ) {
    super(message);
  }
}

/** What a request was about, for an error message a user can act on. */
export interface RequestSubject {
  /** RBAC verb: get, patch, create… */
  verb: string;
  /** Resource as RBAC names it: modeldeployments.modeldeploy.io, services/proxy… */
  resource: string;
  name: string;
  namespace: string;
  context: string;
}

interface StatusWords {
  message: string;
  /** The Status object's reason (Forbidden, NotFound…); undefined when the body was not one. */
  reason?: string;
}

/** The API server's own words, from its Status object when it sent one. */
function serverWords(body: string): StatusWords {
  try {
    const parsed = JSON.parse(body) as { kind?: unknown; message?: unknown; reason?: unknown };
    if (parsed.kind === 'Status' && typeof parsed.message === 'string') {
      return {
        message: parsed.message,
        reason: typeof parsed.reason === 'string' ? parsed.reason : undefined,
      };
    }
  } catch {
    // not a Status object: fall through to the raw text
  }
  return { message: body.trim().slice(0, 300) };
}

/** Turns a non-2xx answer into what happened and what to do next. Pure. */
export function apiFailure(status: number, body: string, s: RequestSubject): CliError {
  const { message: said, reason } = serverWords(body);
  if (status === 404 && reason === 'NotFound') {
    return new CliError(
      `${s.resource} "${s.name}" not found in namespace "${s.namespace}" (context ${s.context}); list them with: kubectl get ${s.resource} -n ${s.namespace}`,
    );
  }
  // Only a Status with reason Forbidden is RBAC; a proxy refusing its destination is not.
  if (status === 403 && reason === 'Forbidden') {
    return new CliError(
      `forbidden: your identity may not ${s.verb} ${s.resource} in namespace "${s.namespace}" (context ${s.context}); ask for a Role granting it. The API server said: ${said}`,
    );
  }
  if (status === 401) {
    return new CliError(
      `the API server did not accept your credentials (context ${s.context}): ${said}; log in again or refresh the kubeconfig`,
    );
  }
  if (status === 409) {
    return new CliError(
      `${s.resource} "${s.name}" changed while it was being edited: ${said}; run the command again`,
    );
  }
  if (status === 422)
    return new CliError(`the API server refused the edit of ${s.resource} "${s.name}": ${said}`);
  return new CliError(
    `${s.verb} ${s.resource} "${s.name}" in "${s.namespace}" answered HTTP ${status}: ${said}`,
  );
}
