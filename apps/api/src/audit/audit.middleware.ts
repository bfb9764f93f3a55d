import type { NextFunction, Request, Response } from 'express';
import type { Principal } from '../auth/principal';
import { AuditService, auditResult } from './audit.service';

const MUTATING = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);
/** Query parameters whose values never reach the audit log (their presence does). */
const SECRET_KEY = /token|secret|password|passwd|key|auth|credential/i;
const MAX_VALUE = 200;

const clip = (v: string) => (v.length > MAX_VALUE ? `${v.slice(0, MAX_VALUE)}…` : v);

/** Route params as strings (Express 5 wildcards arrive as arrays of segments). */
function params(req: Request): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries((req.params ?? {}) as Record<string, unknown>)) {
    if (v === undefined) continue;
    out[k] = clip(Array.isArray(v) ? v.join('/') : String(v));
  }
  return out;
}

/** The target of an act: its one route param, or `k=v` pairs when there are several. */
export function auditTarget(p: Record<string, string>): string | null {
  const entries = Object.entries(p);
  if (!entries.length) return null;
  if (entries.length === 1) return entries[0][1];
  return entries.map(([k, v]) => `${k}=${v}`).join(',');
}

function query(req: Request): Record<string, unknown> | undefined {
  const q = req.query as Record<string, unknown> | undefined;
  if (!q || !Object.keys(q).length) return undefined;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(q)) {
    if (SECRET_KEY.test(k)) out[k] = '[redacted]';
    else if (typeof v === 'string') out[k] = clip(v);
    else if (Array.isArray(v)) out[k] = v.slice(0, 20).map((x) => clip(String(x)));
    else out[k] = '[object]';
  }
  return out;
}

/**
 * Records every mutating HTTP request (POST/PUT/PATCH/DELETE) in the audit log once its response
 * has gone out (or the client went away): refused ones included — 401 before a principal was
 * known, 403, 404, 413 from the body parser, 429. Writes happen after the response, so they add
 * no latency; a failed write is logged loudly by AuditService. Registered first in app.setup.ts,
 * so nothing that can answer a request runs before it.
 *
 * What is recorded: the route pattern as action ("POST /deployments/:name/scale"), the route
 * params as target, query flags (secret-looking keys redacted), the error code — never a body,
 * a header or a token.
 */
export function auditMiddleware(audit: AuditService) {
  return (req: Request, res: Response, next: NextFunction): void => {
    if (!MUTATING.has(req.method)) return next();
    let done = false;
    const write = (aborted: boolean) => {
      if (done) return;
      done = true;
      const principal = (req as Request & { principal?: Principal }).principal;
      const matched = Boolean(req.route?.path);
      const p = matched ? params(req) : {};
      const statusCode = aborted && !res.headersSent ? null : res.statusCode;
      const details: Record<string, unknown> = {};
      if (Object.keys(p).length) details.params = p;
      const q = query(req);
      if (q) details.query = q;
      if (typeof res.locals?.errorCode === 'string') details.code = res.locals.errorCode;
      const location = res.getHeader('Location');
      if (typeof location === 'string') details.location = clip(location);
      if (!matched) details.path = clip(req.path);
      const requestId = (req as Request & { id?: unknown }).id ?? res.getHeader('X-Request-Id');
      void audit.record({
        tokenId: principal?.tokenId ?? null,
        teamId: principal?.teamId ?? null,
        method: req.method,
        action: `${req.method} ${matched ? `${req.baseUrl ?? ''}${req.route.path}` : '(unmatched)'}`,
        target: matched ? auditTarget(p) : null,
        result: auditResult(statusCode, aborted && !res.writableFinished),
        statusCode,
        requestId: requestId === undefined ? null : String(requestId),
        sourceIp: req.ip ?? req.socket?.remoteAddress ?? null,
        ...(Object.keys(details).length ? { details } : {}),
      });
    };
    res.once('finish', () => write(false));
    res.once('close', () => write(true));
    next();
  };
}
