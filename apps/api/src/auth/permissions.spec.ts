import { DomainError } from '../common/domain-error';
import { authorize, authorizeDeployment, PermissionRule } from './permissions';
import type { Principal } from './principal';

const as = (role: Principal['role'], deployments: string[] = []): Principal => ({ tokenId: 't', teamId: 'team', role, deployments });
const rule = (permission: PermissionRule['permission'], narrowable = false): PermissionRule => ({ permission, narrowable });
const refused = (fn: () => void) => {
  try {
    fn();
  } catch (err) {
    return err instanceof DomainError && err.code === 'FORBIDDEN' ? err.message : `unexpected ${err}`;
  }
  return undefined;
};

describe('authorize', () => {
  it('allows a role at or above the permission and refuses the ones below, naming the role needed', () => {
    const roles = ['viewer', 'deployer', 'admin', 'owner'] as const;
    const table = (['read', 'deploy', 'admin', 'owner'] as const).map((p) => roles.map((r) => (refused(() => authorize(as(r), rule(p))) ? 'x' : 'ok')).join(' '));
    expect(table).toEqual(['ok ok ok ok', 'x ok ok ok', 'x x ok ok', 'x x x ok']);
    expect(refused(() => authorize(as('viewer'), rule('deploy')))).toBe('This route needs a deployer token or higher; this one is viewer');
  });

  it('denies a route that declares no permission, whatever the role', () => {
    expect(refused(() => authorize(as('owner'), undefined))).toBe('This route declares no permission, so it is denied');
  });

  it('lets a narrowed token use narrowable routes only, and only for its deployments', () => {
    const pipeline = as('deployer', ['web']);
    expect(refused(() => authorize(pipeline, rule('read')))).toContain('not available to a token limited to deployments web');
    expect(refused(() => authorize(pipeline, rule('deploy', true)))).toBeUndefined();
    expect(refused(() => authorizeDeployment(pipeline, 'web'))).toBeUndefined();
    expect(refused(() => authorizeDeployment(pipeline, 'api'))).toBe('This token is limited to the deployments web');
    expect(refused(() => authorizeDeployment(as('deployer'), 'api'))).toBeUndefined();
  });
});
