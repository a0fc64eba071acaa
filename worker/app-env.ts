import type { Bindings } from './env';

/** Hono's typing of this app: the Worker bindings and per-request variables. */
export interface AppEnv {
  Bindings: Bindings;
  Variables: { requestId: string };
}
