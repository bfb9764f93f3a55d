import type { NormalizedSpec } from './deployment-spec';

/** One replica as the engine reports it. */
export interface ReplicaState {
  containerId: string;
  name: string;
  revision: number;
  generation: number;
  slot: number;
  state: string;
  health: 'healthy' | 'unhealthy' | 'starting' | 'none';
  ready: boolean;
  exitCode: number | null;
  restartCount: number;
}

/** What a deployment should look like on the engine. */
export interface RolloutTarget {
  teamId: string;
  deployment: string;
  revision: number;
  generation: number;
  /** Secrets in plaintext: only ever held in memory on the way to the engine. */
  spec: NormalizedSpec;
  replicas: number;
  operationId?: string;
  /**
   * The token that wrote the revision: its containers are admitted by the container policy as
   * that author (an owner-authored spec was approved by the owner), otherwise as a team member.
   */
  authorTokenId?: string | null;
  /** Containers to leave alone (e.g. exited replicas the restart policy keeps). */
  ignore?: Set<string>;
  /** Containers to replace even though they still run (unhealthy, paused). */
  failing?: Set<string>;
}

export interface RolloutHooks {
  step(message: string, data?: unknown): Promise<void>;
  /** True once the operation has been asked to stop. */
  cancelled(): Promise<boolean>;
  /** Epoch ms after which the rollout fails with ProgressDeadlineExceeded. */
  deadline: number;
}

export type RolloutFailureReason = 'ProgressDeadlineExceeded' | 'MigrationFailed' | 'ImagePullFailed' | 'Cancelled';

export class RolloutFailure extends Error {
  override name = 'RolloutFailure';
  constructor(
    readonly reason: RolloutFailureReason,
    message: string,
  ) {
    super(message);
  }
}

/**
 * The seam between Berth's deployment logic and how replicas exist on an engine. `standalone`
 * (containers on one engine, replicas managed by Berth) is built; a Swarm driver (services doing
 * replicas and rolling updates natively) implements the same four calls.
 */
export interface EngineDriver {
  readonly kind: 'standalone' | 'swarm';
  /** The deployment's replicas as they are now, found by label. */
  observe(teamId: string, deployment: string, minReadySeconds?: number): Promise<ReplicaState[]>;
  /** Makes the engine match the target per the spec's strategy; resolves when it does. */
  converge(target: RolloutTarget, hooks: RolloutHooks): Promise<void>;
  /** Runs the migrate step as a one-off container from the target's image; resumes one already running for this operation. */
  runMigration(target: RolloutTarget, onLine: (line: string, stream: 'stdout' | 'stderr') => void): Promise<{ exitCode: number; timedOut: boolean }>;
  /** Removes every replica and migration container of the deployment. */
  removeAll(teamId: string, deployment: string): Promise<number>;
}

export const ENGINE_DRIVER = Symbol('ENGINE_DRIVER');
