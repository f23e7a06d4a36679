import type { FastifyInstance } from 'fastify';

export interface RouteEntry {
  method: string;
  url: string;
  /** Left out of the OpenAPI document (asset files, the dashboard's internals, the docs UI). */
  hidden: boolean;
}

declare module 'fastify' {
  interface FastifyInstance {
    /** Every route registered on the app, as registered (tests check auth and docs against it). */
    routeTable: RouteEntry[];
  }
}

/** Records every route added after this call; install first, on the root instance. */
export function trackRoutes(app: FastifyInstance): void {
  const table: RouteEntry[] = [];
  app.decorate('routeTable', table);
  app.addHook('onRoute', (route) => {
    const methods = Array.isArray(route.method) ? route.method : [route.method];
    const hidden = Boolean((route.schema as { hide?: boolean } | undefined)?.hide);
    for (const method of methods) table.push({ method: String(method).toUpperCase(), url: route.url, hidden });
  });
}
