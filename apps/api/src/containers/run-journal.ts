import type { OperationHandle } from '../operations/operations.service';

/**
 * Records a run's steps and events in order without making the engine wait for the database:
 * each record is queued behind the previous one, and `flush()` resolves once all of them are
 * persisted (or rejects with the first failure). The run answers only after flushing, so a
 * client that gets a response can read every step from GET /operations/:id.
 */
export class RunJournal {
  private tail: Promise<void> = Promise.resolve();
  private failure: unknown;

  constructor(private readonly op: OperationHandle) {}

  step(message: string, data?: unknown, level?: 'info' | 'warn' | 'error'): void {
    this.enqueue(() => this.op.step(message, data, level));
  }

  /** Queues any other write (an event) in the same order. */
  record(write: () => Promise<void>): void {
    this.enqueue(write);
  }

  async flush(): Promise<void> {
    await this.tail;
    if (this.failure) throw this.failure;
  }

  private enqueue(write: () => Promise<void>): void {
    this.tail = this.tail.then(write).catch((err) => {
      this.failure ??= err;
    });
  }
}
