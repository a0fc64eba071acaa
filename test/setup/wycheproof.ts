/**
 * Global setup of the `workers` project, run in Node before the suites: tests
 * inside workerd cannot read the file system, so this reads the Project
 * Wycheproof vectors (../shared/vectors/wycheproof, or WYCHEPROOF_DIR) and
 * hands them over with `provide('wycheproof', …)`; the suites `inject` them.
 * A suite whose file is in neither place reports itself skipped with the
 * reason. The files issue 14's suites need and
 * ../shared lacks (ECDH, P-521 and secp256k1 ECDSA, HMAC-224) are vendored in
 * test/vectors/wycheproof/ and fill in only what the folder does not hold.
 */
import { existsSync, readFileSync, statSync } from 'node:fs';
import { isAbsolute, resolve } from 'node:path';
import type { TestProject } from 'vitest/node';

export type WycheproofResult = 'valid' | 'invalid' | 'acceptable';

export interface WycheproofTest {
  tcId: number;
  comment: string;
  flags?: string[];
  result: WycheproofResult;
  [field: string]: unknown;
}

export interface WycheproofGroup {
  type: string;
  tests: WycheproofTest[];
  [field: string]: unknown;
}

export interface WycheproofFile {
  algorithm: string;
  numberOfTests: number;
  testGroups: WycheproofGroup[];
}

/** The files the suites under test/workers/wycheproof/ run. */
export const WYCHEPROOF_FILES = [
  'aes_gcm_test.json',
  'ecdsa_secp256r1_sha256_p1363_test.json',
  'ecdsa_secp384r1_sha384_p1363_test.json',
  'ed25519_test.json',
  'hmac_sha256_test.json',
  'rsa_oaep_2048_sha256_mgf1sha256_test.json',
  'rsa_pss_2048_sha256_mgf1_32_test.json',
  'hkdf_sha256_test.json',
  'hkdf_sha512_test.json',
  // Issue 14's curves and HMAC_224: vendored (test/vectors/wycheproof/) where ../shared lacks them.
  'ecdh_secp256r1_test.json',
  'ecdh_secp384r1_test.json',
  'ecdh_secp521r1_test.json',
  'hmac_sha224_test.json',
  'ecdsa_secp521r1_sha512_p1363_test.json',
  'ecdsa_secp256k1_sha256_p1363_test.json',
] as const;

export type WycheproofFileName = (typeof WYCHEPROOF_FILES)[number];

export interface WycheproofVectors {
  /** The folder the vectors were read from. */
  dir: string;
  /** A file missing from the folder is absent here; its suite skips itself. */
  files: Partial<Record<WycheproofFileName, WycheproofFile>>;
}

declare module 'vitest' {
  export interface ProvidedContext {
    wycheproof: WycheproofVectors | null;
  }
}

function vectorDirectory(root: string): string | undefined {
  const fromEnv = process.env.WYCHEPROOF_DIR;
  const candidate = fromEnv
    ? isAbsolute(fromEnv)
      ? fromEnv
      : resolve(process.cwd(), fromEnv)
    : resolve(root, '../shared/vectors/wycheproof');
  return existsSync(candidate) && statSync(candidate).isDirectory() ? candidate : undefined;
}

export default function setup(project: TestProject): void {
  const vendored = resolve(project.config.root, 'test/vectors/wycheproof');
  const dir = vectorDirectory(project.config.root) ?? vendored;
  const files: WycheproofVectors['files'] = {};
  for (const name of WYCHEPROOF_FILES) {
    const path = [resolve(dir, name), resolve(vendored, name)].find((candidate) => existsSync(candidate));
    // Provided whole (about 4 MB of JSON for all files), which the pool passes to workerd without trouble.
    if (path) files[name] = JSON.parse(readFileSync(path, 'utf8')) as WycheproofFile;
  }
  project.provide('wycheproof', { dir, files });
}
