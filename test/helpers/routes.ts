import { RequestMethod } from '@nestjs/common';
import { ModulesContainer } from '@nestjs/core';
import type { INestApplication } from '@nestjs/common';
import { IS_PUBLIC } from '../../apps/api/src/auth/auth.decorators';
import { PERMISSION, PermissionRule } from '../../apps/api/src/auth/permissions';

/** Nest's metadata keys for @Controller(path) and @Get(path)… (constants of @nestjs/common). */
const PATH_METADATA = 'path';
const METHOD_METADATA = 'method';

export interface AppRoute {
  /** "GET /deployments/:name" */
  key: string;
  method: string;
  path: string;
  public: boolean;
  rule?: PermissionRule;
}

const join = (...parts: string[]) => '/' + parts.flatMap((p) => p.split('/')).filter(Boolean).join('/');

/** Every HTTP route of the running app, read from its controllers' metadata (the app's route table). */
export function appRoutes(app: INestApplication): AppRoute[] {
  const routes: AppRoute[] = [];
  for (const module of app.get(ModulesContainer).values()) {
    for (const wrapper of module.controllers.values()) {
      const controller = wrapper.metatype as (new (...args: never[]) => unknown) | undefined;
      if (!controller) continue;
      const base = String(Reflect.getMetadata(PATH_METADATA, controller) ?? '');
      const proto = controller.prototype as Record<string, unknown>;
      for (const name of Object.getOwnPropertyNames(proto)) {
        const handler = proto[name];
        if (name === 'constructor' || typeof handler !== 'function') continue;
        const method = Reflect.getMetadata(METHOD_METADATA, handler) as RequestMethod | undefined;
        if (method === undefined) continue;
        const paths = [Reflect.getMetadata(PATH_METADATA, handler) ?? '/'].flat() as string[];
        for (const p of paths) {
          const path = join(base, p);
          const verb = RequestMethod[method];
          routes.push({
            key: `${verb} ${path}`,
            method: verb,
            path,
            public: Boolean(Reflect.getMetadata(IS_PUBLIC, handler) ?? Reflect.getMetadata(IS_PUBLIC, controller)),
            rule: Reflect.getMetadata(PERMISSION, handler) ?? Reflect.getMetadata(PERMISSION, controller),
          });
        }
      }
    }
  }
  return routes;
}
