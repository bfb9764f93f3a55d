import { authorize, authorizeDeployment, isOwner, PermissionRule } from '../auth/permissions';
import type { Principal } from '../auth/principal';
import { DomainError } from '../common/domain-error';
import { StreamError } from './stream-errors';
import type { Topic } from './topics';

/**
 * What a token may do on /ws, through the same `authorize()` as HTTP routes (auth/permissions.ts):
 * one rule per message type. Team scoping (a token only sees its team's events and containers; an
 * owner sees everything) is applied by the topics themselves and answers NOT_FOUND, like HTTP's 404.
 */
export const seesEveryTeam = (principal: Principal): boolean => isOwner(principal);

/** `subscribe`: the rule of GET routes — any role; narrowed tokens only their deployments' topics. */
export const SUBSCRIBE_RULE: PermissionRule = { permission: 'read', narrowable: true };
/** `exec.start`: the rule of POST /containers/:id/exec — admin and up, not for narrowed tokens. */
export const EXEC_RULE: PermissionRule = { permission: 'admin', narrowable: false };

function asStreamError<T>(check: () => T): T {
  try {
    return check();
  } catch (err) {
    if (err instanceof DomainError && err.code === 'FORBIDDEN') throw new StreamError('FORBIDDEN', err.message);
    throw err;
  }
}

/**
 * `subscribe`: deployment-narrowed tokens only follow their deployments' topics (a container
 * topic is checked again once the container is known: `container`).
 */
export function authorizeSubscribe(principal: Principal, topic: Topic, container?: { deployment?: string }): void {
  asStreamError(() => {
    authorize(principal, SUBSCRIBE_RULE, `Subscribing to ${topic.kind} topics`);
    if (topic.kind === 'deployment' || topic.kind === 'deploymentLogs') authorizeDeployment(principal, topic.name);
    if (topic.kind === 'containerLogs' && container) authorizeDeployment(principal, container.deployment);
  });
}

/** `exec.start`: an interactive process in a container is an admin's act, as over HTTP. */
export function authorizeExec(principal: Principal): void {
  asStreamError(() => authorize(principal, EXEC_RULE, 'exec'));
}
