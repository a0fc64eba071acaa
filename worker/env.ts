import type { AuditLog } from './audit/audit-log';
import type { FairShareSettings } from './auth/fair-share';
import type { JwtSettings } from './auth/jwt';
import type { SigV4Settings } from './auth/sigv4';
import type { ThrottleSettings } from './auth/throttle';
import type { Directory } from './directory/directory';
import type { KeyObject } from './key-object/key-object';
import type { PlacementSettings } from './placement';

/** The Worker's bindings, as declared in wrangler.toml and `.dev.vars`. */
export interface Bindings extends JwtSettings, ThrottleSettings, FairShareSettings, SigV4Settings, PlacementSettings {
  KEY_OBJECT: DurableObjectNamespace<KeyObject>;
  DIRECTORY: DurableObjectNamespace<Directory>;
  AUDIT_LOG: DurableObjectNamespace<AuditLog>;
  ASSETS: Fetcher;
  /** Base64 of at least 32 random bytes: root key 1 of the sealing keys (crypto/root-keys.ts). */
  MASTER_KEY: string;
  /** The later root keys, JSON of root id to base64 secret; the newest seals (crypto/root-keys.ts). */
  MASTER_KEYS?: string;
  /** Development administrator bearer token. */
  ADMIN_TOKEN?: string;
  /** The default region: the native protocol's when a request names none, and the one whose storage predates regions. */
  KMS_REGION: string;
  KMS_ACCOUNT_ID: string;
  /** Storage of the demo page's encrypted uploads. */
  UPLOADS?: R2Bucket;
  /** "1" enables demo sign-in and demo storage: development only. */
  DEMO_MODE?: string;
  /** "1" exposes the benchmark baseline route (still authenticated). */
  BENCH_ROUTES?: string;
}
