import { CanActivate, ExecutionContext, Inject, Injectable } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { Request } from 'express';
import { IS_PUBLIC } from './auth.decorators';
import { AuthService } from './auth.service';
import { authorize, PERMISSION, PermissionRule } from './permissions';

export function bearerToken(header: string | undefined): string | undefined {
  const match = /^Bearer\s+(\S+)\s*$/i.exec(header ?? '');
  return match?.[1];
}

/**
 * Global guard: every route needs a valid bearer token unless marked @Public(), and the token's
 * role must satisfy the route's @Requires(); a route that declares neither is denied.
 */
@Injectable()
export class AuthGuard implements CanActivate {
  constructor(
    @Inject(Reflector) private readonly reflector: Reflector,
    @Inject(AuthService) private readonly auth: AuthService,
  ) {}

  async canActivate(ctx: ExecutionContext): Promise<boolean> {
    if (ctx.getType() !== 'http') return true;
    const targets = [ctx.getHandler(), ctx.getClass()];
    if (this.reflector.getAllAndOverride<boolean>(IS_PUBLIC, targets)) return true;
    const req = ctx.switchToHttp().getRequest<Request & { principal?: unknown }>();
    const principal = await this.auth.authenticate(bearerToken(req.headers.authorization));
    req.principal = principal;
    authorize(principal, this.reflector.getAllAndOverride<PermissionRule>(PERMISSION, targets));
    return true;
  }
}
