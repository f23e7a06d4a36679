import type { Runtime } from '../runtime.js';
import { buildApp, type App } from './app.js';

export interface ApiServer {
  app: App;
  /** The address it listens on, e.g. http://127.0.0.1:3000. */
  address: string;
  close(): Promise<void>;
}

/** Listens on HOST:PORT. `close()` stops accepting, finishes in-flight requests, then returns. */
export async function startApiServer(runtime: Runtime): Promise<ApiServer> {
  const app = await buildApp(runtime);
  const address = await app.listen({ port: runtime.config.http.port, host: runtime.config.http.host });
  return { app, address, close: () => app.close() };
}
