import { PassThrough, Readable } from 'node:stream';
import { DomainError } from '../../common/domain-error';

/** How much of an oversized upload is read and thrown away (so the client sees the 413) before it is cut off. */
export function discardCap(limit: number): number {
  return 2 * limit + 16 * 1024 * 1024;
}

export function contextTooLarge(limit: number): DomainError {
  return new DomainError('PAYLOAD_TOO_LARGE', `Build context exceeds the limit of ${limit} bytes (BERTH_BUILD_CONTEXT_MAX_MB)`);
}

/**
 * Passes an uploaded build context through, failing with 413 once it grows past `limit`. On
 * overflow the rest of the upload is read and discarded before the error is raised, so the
 * client (still sending) gets the 413 response rather than a reset connection.
 */
export function limitContext(source: Readable, limit: number): Readable {
  const out = new PassThrough();
  let seen = 0;
  let failed = false;
  const fail = (error: Error) => {
    if (failed) return;
    failed = true;
    out.destroy(error);
  };
  const onData = (chunk: Buffer) => {
    seen += chunk.length;
    if (seen > limit) {
      source.off('data', onData);
      // Discard the rest, but not forever: past discardCap the upload is cut off.
      source.on('data', (more: Buffer) => {
        seen += more.length;
        if (seen > discardCap(limit)) {
          source.destroy();
          fail(contextTooLarge(limit));
        }
      });
      source.resume();
      if (source.readableEnded) fail(contextTooLarge(limit));
      else source.once('end', () => fail(contextTooLarge(limit))).once('close', () => fail(contextTooLarge(limit)));
      return;
    }
    if (!out.write(chunk)) {
      source.pause();
      out.once('drain', () => source.resume());
    }
  };
  source.on('data', onData);
  source.once('end', () => {
    if (seen <= limit) out.end();
  });
  source.once('close', () => {
    if (!source.readableEnded) fail(new DomainError('BAD_REQUEST', 'The client stopped sending the build context'));
  });
  source.once('error', (err) => fail(err));
  return out;
}

/**
 * Reads and discards the rest of an upload, so an early error reaches a client that is still
 * sending; past `max` bytes the upload is cut off instead.
 */
export async function discard(stream: Readable, max: number): Promise<void> {
  let seen = 0;
  for await (const chunk of stream) {
    seen += (chunk as Buffer).length;
    if (seen > max) {
      stream.destroy();
      return;
    }
  }
}
