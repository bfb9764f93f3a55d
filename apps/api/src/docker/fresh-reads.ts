const settled = (): void => undefined;

interface Read {
  /** Settles (never rejects) when this read has finished. */
  done: Promise<void>;
  /** The read that starts when this one finishes, shared by everyone who asked while this one ran. */
  next?: Promise<unknown>;
}

/**
 * Shares engine reads among concurrent identical requests without ever answering a request with
 * data older than the request: a caller only joins a read that starts after it arrived.
 *
 * - No read of `key` running: the caller's read starts at once (a lone caller waits exactly as
 *   long as without sharing).
 * - One running: the caller does not join it (it may have read the engine before the caller
 *   arrived); it waits for the next read of `key`, which starts as soon as the running one
 *   finishes and answers every caller that arrived in the meantime.
 *
 * So N concurrent dashboards polling the same `docker ps` cost the engine about two lists per
 * round instead of N. Results and errors are shared as they are: callers must not mutate them.
 */
export class FreshReads {
  private readonly reads = new Map<string, Read>();

  run<T>(key: string, read: () => Promise<T>): Promise<T> {
    const current = this.reads.get(key);
    if (!current) return this.launch(key, read);
    current.next ??= current.done.then(() => this.launch(key, read));
    return current.next as Promise<T>;
  }

  /** Reads of this key running or queued (for tests and metrics). */
  pending(key: string): number {
    const current = this.reads.get(key);
    return current ? (current.next ? 2 : 1) : 0;
  }

  private launch<T>(key: string, read: () => Promise<T>): Promise<T> {
    const result = new Promise<T>((resolve) => resolve(read()));
    const entry: Read = { done: result.then(settled, settled) };
    this.reads.set(key, entry);
    // Registered before any joiner's `then`, so the entry is gone before the next read starts.
    void entry.done.then(() => {
      if (this.reads.get(key) === entry) this.reads.delete(key);
    });
    return result;
  }
}
