import type { Request, Response } from 'express';
import { toDomainError } from '../../common/http-error.filter';
import { BuildStepFailedError } from '../build/build-step-failed.error';
import type { ProgressLineDto } from '../dto/progress-line.dto';
import type { ProgressSink } from './progress-sink';

export const NDJSON = 'application/x-ndjson';

/** True when the client asked for the progress stream (`Accept: application/x-ndjson`). */
export function wantsProgressStream(req: Request): boolean {
  return req.accepts(['application/json', NDJSON]) === NDJSON;
}

/**
 * Runs a pull / push / build and answers it. Every response carries `X-Operation-Id`.
 * - Streaming: once the engine has accepted the work, 200 + one JSON object per line; the last line
 *   is `{type:"result", operationId, result}` or `{type:"error", operationId, error}`. Errors before
 *   that are ordinary HTTP errors.
 * - Otherwise: waits and answers the result as JSON (status `successStatus`), or the error.
 */
export async function respondWithProgress<R>(req: Request, res: Response, run: (sink: ProgressSink) => Promise<R>, successStatus = 200): Promise<void> {
  const streaming = wantsProgressStream(req);
  let started = false;
  let operationId: string | undefined;
  const write = (line: ProgressLineDto, end = false) => {
    if (res.destroyed || res.writableEnded) return; // the client left; the operation goes on and is recorded
    const text = JSON.stringify(line) + '\n';
    if (end) res.end(text);
    else res.write(text);
  };
  res.on('error', () => undefined);
  const sink: ProgressSink = {
    operation(id) {
      operationId = id;
      if (!res.headersSent) res.setHeader('X-Operation-Id', id);
    },
    begin() {
      if (!streaming) return;
      started = true;
      res.status(successStatus);
      res.setHeader('Content-Type', `${NDJSON}; charset=utf-8`);
      res.setHeader('Cache-Control', 'no-cache');
      res.setHeader('X-Content-Type-Options', 'nosniff');
      res.flushHeaders();
    },
    line: (line) => started && write(line),
  };
  try {
    const result = await run(sink);
    if (started) write({ type: 'result', operationId, result }, true);
    else res.status(successStatus).json(result);
  } catch (err) {
    if (!started) throw err;
    const e = toDomainError(err);
    const step = e instanceof BuildStepFailedError ? { step: e.step, totalSteps: e.totalSteps, instruction: e.instruction } : {};
    write({ type: 'error', operationId, error: { statusCode: e.status, code: e.code, message: e.message, ...step } }, true);
  }
}
