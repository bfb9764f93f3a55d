import { SetMetadata } from '@nestjs/common';
import { DomainError } from '../common/domain-error';
import type { TokenRole } from '../generated/prisma/enums';
import type { Principal } from './principal';

/**
 * What a route (or a /ws message) needs, from least to most:
 * - `read`   — viewer and up: read the team's objects, follow logs and events;
 * - `deploy` — deployer and up: apply/run/scale/migrate/rollback/stop, pull/build/push, one-off containers;
 * - `admin`  — admin and up: registries, tokens, delete, exec, audit;
 * - `owner`  — the platform owner only: teams, policy, adoption of foreign containers.
 * See docs/access-control.md for the whole table.
 */
export type Permission = 'read' | 'deploy' | 'admin' | 'owner';

export const ROLE_RANK: Record<TokenRole, number> = { viewer: 0, deployer: 1, admin: 2, owner: 3 };
export const MIN_ROLE: Record<Permission, TokenRole> = { read: 'viewer', deploy: 'deployer', admin: 'admin', owner: 'owner' };

export interface PermissionRule {
  permission: Permission;
  /**
   * Whether a token narrowed to named deployments may use the route at all. Narrowable routes
   * then check the deployment name themselves (deployments, operations, deployment topics).
   */
  narrowable: boolean;
}

export const PERMISSION = 'berth:permission';

/** Declares what a route needs. Every non-public route must carry one; AuthGuard denies the rest. */
export const Requires = (permission: Permission, options: { narrowable?: boolean } = {}) =>
  SetMetadata(PERMISSION, { permission, narrowable: options.narrowable ?? false } satisfies PermissionRule);

export const roleAtLeast = (role: TokenRole, min: TokenRole): boolean => ROLE_RANK[role] >= ROLE_RANK[min];

/** Whether the principal sees and acts on every team (the platform owner). */
export const isOwner = (principal: Pick<Principal, 'role'>): boolean => principal.role === 'owner';

/**
 * The one permission check, for HTTP (AuthGuard) and /ws messages alike. Throws FORBIDDEN naming
 * the role needed; a narrowed token is refused on routes that are not narrowable.
 */
export function authorize(principal: Principal, rule: PermissionRule | undefined, what = 'This route'): void {
  if (!rule) throw new DomainError('FORBIDDEN', `${what} declares no permission, so it is denied`);
  const min = MIN_ROLE[rule.permission];
  if (!roleAtLeast(principal.role, min)) {
    throw new DomainError('FORBIDDEN', `${what} needs a ${min} token or higher; this one is ${principal.role}`, [{ field: 'role', rule: `min:${min}`, message: `needs ${min}` }]);
  }
  if (principal.deployments.length > 0 && !rule.narrowable) {
    throw new DomainError('FORBIDDEN', `${what} is not available to a token limited to deployments ${principal.deployments.join(', ')}`);
  }
}

/** For narrowable routes: a token narrowed to some deployments may only name those. */
export function authorizeDeployment(principal: Principal, name: string | undefined): void {
  if (principal.deployments.length === 0) return;
  if (name === undefined || !principal.deployments.includes(name)) {
    throw new DomainError('FORBIDDEN', `This token is limited to the deployments ${principal.deployments.join(', ')}`);
  }
}
