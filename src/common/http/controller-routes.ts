import type { INestApplication } from '@nestjs/common';
import { RequestMethod } from '@nestjs/common';
import { METHOD_METADATA } from '@nestjs/common/constants.js';
import { MetadataScanner, ModulesContainer } from '@nestjs/core';

/** One route handler of one controller, as Nest's decorators declared it. */
export interface ControllerRoute {
  controller: new (...args: never[]) => object;
  name: string;
  /** The method's function: where the route's metadata (path, guards, interceptors) lives. */
  handler: object;
  method: RequestMethod;
}

/**
 * Every route handler of every controller in the application (inherited methods included), read
 * from the module graph: what needs the routes as declared — interceptors put on write routes
 * before app.init(), the permission review in the tests — walks them here.
 */
export function controllerRoutes(app: INestApplication): ControllerRoute[] {
  const scanner = new MetadataScanner();
  const routes: ControllerRoute[] = [];
  for (const module of app.get(ModulesContainer).values()) {
    for (const wrapper of module.controllers.values()) {
      const controller = wrapper.metatype as ControllerRoute['controller'] | undefined;
      if (!controller) continue;
      for (const name of scanner.getAllMethodNames(controller.prototype)) {
        const handler = (controller.prototype as Record<string, unknown>)[name] as object;
        const method = Reflect.getMetadata(METHOD_METADATA, handler) as RequestMethod | undefined;
        if (method !== undefined) routes.push({ controller, name, handler, method });
      }
    }
  }
  return routes;
}

/** The methods whose routes change something. */
export const WRITE_METHODS: ReadonlySet<RequestMethod> = new Set([
  RequestMethod.POST,
  RequestMethod.PUT,
  RequestMethod.PATCH,
  RequestMethod.DELETE,
]);
