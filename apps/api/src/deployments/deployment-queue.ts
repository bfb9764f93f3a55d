import { Injectable } from '@nestjs/common';
import { EventEmitter } from 'node:events';

/** Wakes the deployment worker when an operation was queued for a deployment (in this process). */
@Injectable()
export class DeploymentQueue extends EventEmitter {
  kick(deploymentId: string): void {
    this.emit('kick', deploymentId);
  }
}

/** Serialises work on one deployment inside this process: operations and self-healing never overlap. */
@Injectable()
export class DeploymentLocks {
  private readonly tails = new Map<string, Promise<unknown>>();

  run<T>(deploymentId: string, fn: () => Promise<T>): Promise<T> {
    const prev = this.tails.get(deploymentId) ?? Promise.resolve();
    const next = prev.catch(() => undefined).then(fn);
    this.tails.set(deploymentId, next);
    void next.finally(() => {
      if (this.tails.get(deploymentId) === next) this.tails.delete(deploymentId);
    }).catch(() => undefined);
    return next;
  }

  busy(deploymentId: string): boolean {
    return this.tails.has(deploymentId);
  }
}
