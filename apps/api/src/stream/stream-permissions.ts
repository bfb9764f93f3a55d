import type { Principal } from '../auth/principal';
import { StreamError } from './stream-errors';
import type { Topic } from './topics';

/**
 * What a token may do on /ws: one function per message type that needs a decision, so the
 * access-control work can replace the rules here without touching the handlers. Team scoping (a
 * token only sees its team's events and containers; an owner sees everything) is applied by the
 * topics themselves and answers NOT_FOUND, like HTTP's 404.
 */
export const seesEveryTeam = (principal: Principal): boolean => principal.role === 'owner';

/** A token narrowed to some deployments may only follow those deployments' topics. */
function allowedDeployment(principal: Principal, name: string | undefined): boolean {
  return principal.deployments.length === 0 || (name !== undefined && principal.deployments.includes(name));
}

/**
 * `subscribe`: every role may read its team's topics; deployment-narrowed tokens only their
 * deployments' (a container topic is checked again once the container is known: `container`).
 */
export function authorizeSubscribe(principal: Principal, topic: Topic, container?: { deployment?: string }): void {
  if ((topic.kind === 'deployment' || topic.kind === 'deploymentLogs') && !allowedDeployment(principal, topic.name)) {
    throw new StreamError('FORBIDDEN', `This token is limited to deployments ${principal.deployments.join(', ')}`);
  }
  if (container && !allowedDeployment(principal, container.deployment)) {
    throw new StreamError('FORBIDDEN', `This token is limited to deployments ${principal.deployments.join(', ')}`);
  }
}

/** `exec.start`: an interactive process in a container is an admin's act (owner and admin roles). */
export function authorizeExec(principal: Principal, container: { deployment?: string }): void {
  if (principal.role !== 'owner' && principal.role !== 'admin') {
    throw new StreamError('FORBIDDEN', `exec needs an owner or admin token; this one is ${principal.role}`);
  }
  if (!allowedDeployment(principal, container.deployment)) {
    throw new StreamError('FORBIDDEN', `This token is limited to deployments ${principal.deployments.join(', ')}`);
  }
}
