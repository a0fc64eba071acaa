import type { Bindings } from '../../worker/env';

// `env` from cloudflare:test is the Worker's own bindings.
declare global {
  namespace Cloudflare {
    interface Env extends Bindings {}
  }
}
