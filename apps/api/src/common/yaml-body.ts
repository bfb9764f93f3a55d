import type { NextFunction, Request, Response } from 'express';
import { parse } from 'yaml';
import { DomainError } from './domain-error';

export const YAML_TYPES = ['application/yaml', 'application/x-yaml', 'text/yaml'];

/** Turns a YAML request body (read as text) into the same object a JSON body would give. */
export function yamlBodyMiddleware(req: Request, _res: Response, next: NextFunction): void {
  if (typeof req.body !== 'string' || !req.is(YAML_TYPES)) return next();
  try {
    const value = parse(req.body, { maxAliasCount: 100 });
    req.body = value ?? {};
    next();
  } catch (err) {
    next(new DomainError('BAD_REQUEST', `Request body is not valid YAML: ${(err as Error).message.split('\n')[0]}`));
  }
}
