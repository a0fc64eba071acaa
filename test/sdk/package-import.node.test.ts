/**
 * The package as an application sees it. The SDK is built afresh (scripts/build-sdk.mjs) into a
 * temporary application's node_modules/edgekms, beside this package.json and the SDK's runtime
 * dependencies, so the test never reads a stale or half-written dist/ and needs no `npm run
 * build` first (CI runs `npm test` on a fresh clone). Then, in separate Node processes:
 * `import { encrypt, decrypt, RawAesKeyring } from 'edgekms'` resolves through `exports` and
 * round-trips; `edgekms/iife` defines the global `EdgeKMS` on its own; and TypeScript under
 * `moduleResolution: nodenext` finds the bundled types and accepts a typical use.
 */
import { execFile } from 'node:child_process';
import { cp, mkdir, mkdtemp, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decrypt } from '../../sdk/index';
import { expectSameBytes } from './helpers';

const run = promisify(execFile);
const root = fileURLToPath(new URL('../../', import.meta.url));
const manifest = JSON.parse(await readFile(join(root, 'package.json'), 'utf8')) as {
  name: string;
  exports: Record<string, string | Record<string, string>>;
  types: string;
  files: string[];
  dependencies: Record<string, string>;
};
/** The SDK's runtime dependencies (docs: DESIGN.md); everything else in `dependencies` is the service's. */
const SDK_DEPENDENCIES = ['@noble/hashes', '@noble/curves', 'idb'];
const WRAPPING_KEY_HEX = '07'.repeat(32);

let app: string;

async function node(script: string, source: string): Promise<string> {
  await writeFile(join(app, script), source);
  const { stdout } = await run(process.execPath, [script], { cwd: app });
  return stdout;
}

beforeAll(async () => {
  app = await mkdtemp(join(tmpdir(), 'edgekms-app-'));
  const installed = join(app, 'node_modules', manifest.name);
  await mkdir(join(app, 'node_modules', '@noble'), { recursive: true });
  await run(process.execPath, [join(root, 'scripts/build-sdk.mjs'), '--quiet', '--out-dir', join(installed, 'dist/sdk')], {
    cwd: root,
  });
  await cp(join(root, 'package.json'), join(installed, 'package.json'));
  for (const dependency of SDK_DEPENDENCIES) {
    await symlink(join(root, 'node_modules', dependency), join(app, 'node_modules', dependency), 'dir');
  }
  await writeFile(join(app, 'package.json'), JSON.stringify({ name: 'app', private: true, type: 'module' }));
}, 120_000);

afterAll(async () => {
  if (app) await rm(app, { recursive: true, force: true });
});

describe('the built package', () => {
  it('ships what its exports point to, and needs only the SDK dependencies at run time', () => {
    const targets = Object.values(manifest.exports).flatMap((target) =>
      typeof target === 'string' ? [target] : Object.values(target),
    );
    for (const target of [...targets, manifest.types]) {
      const path = target.replace(/^\.\//, '');
      expect(path === 'package.json' || manifest.files.some((entry) => path.startsWith(`${entry}/`)), target).toBe(true);
    }
    for (const dependency of SDK_DEPENDENCIES) expect(manifest.dependencies).toHaveProperty([dependency]);
  });

  it("resolves `import { encrypt, decrypt, RawAesKeyring } from 'edgekms'` to the Node build in Node", async () => {
    const stdout = await node(
      'esm.mjs',
      `
      import { encrypt, decrypt, RawAesKeyring } from 'edgekms';
      const wrappingKey = Uint8Array.from(Buffer.from('${WRAPPING_KEY_HEX}', 'hex'));
      const keyring = new RawAesKeyring({ keyNamespace: 'app', keyName: 'k1', wrappingKey });
      const messages = [];
      for (const suite of [0x0478, 0x0578]) {
        const { ciphertext } = await encrypt(keyring, 'hello from the package', { suite, encryptionContext: { tenant: 'acme' } });
        const { plaintext } = await decrypt(keyring, ciphertext, { expectedContext: { tenant: 'acme' } });
        messages.push({ suite, text: new TextDecoder().decode(plaintext), ciphertext: Buffer.from(ciphertext).toString('base64') });
      }
      console.log(JSON.stringify({ resolved: import.meta.resolve('edgekms'), messages }));
      `,
    );
    const { resolved, messages } = JSON.parse(stdout) as {
      resolved: string;
      messages: { suite: number; text: string; ciphertext: string }[];
    };
    // The `node` condition: the ESM build with AES-GCM on node:crypto (sdk/node-build.mjs).
    expect(resolved).toMatch(/\/node_modules\/edgekms\/dist\/sdk\/edgekms\.node\.js$/);
    expect(messages.map((m) => [m.suite, m.text])).toEqual([
      [0x0478, 'hello from the package'],
      [0x0578, 'hello from the package'],
    ]);
    // The build writes what the sources read.
    const { RawAesKeyring } = await import('../../sdk/index');
    const wrappingKey = Uint8Array.from(Buffer.from(WRAPPING_KEY_HEX, 'hex'));
    for (const message of messages) {
      const { plaintext } = await decrypt(
        new RawAesKeyring({ keyNamespace: 'app', keyName: 'k1', wrappingKey }),
        Uint8Array.from(Buffer.from(message.ciphertext, 'base64')),
      );
      expectSameBytes(plaintext, new TextEncoder().encode('hello from the package'));
    }
  });

  it('defines the global EdgeKMS from edgekms/iife, with every dependency inside', async () => {
    const iife = await readFile(join(app, 'node_modules/edgekms/dist/sdk/edgekms.iife.js'), 'utf8');
    expect(iife).not.toMatch(/\brequire\(|^\s*import[\s{*]|\bimport\(/m);
    const stdout = await node(
      'iife.mjs',
      `
      import { readFileSync } from 'node:fs';
      import { fileURLToPath } from 'node:url';
      (0, eval)(readFileSync(fileURLToPath(import.meta.resolve('edgekms/iife')), 'utf8'));
      const { encrypt, decrypt, RawAesKeyring } = globalThis.EdgeKMS;
      const keyring = new RawAesKeyring({ keyNamespace: 'app', keyName: 'k1', wrappingKey: new Uint8Array(32).fill(7) });
      const { ciphertext } = await encrypt(keyring, 'from a script tag', { suite: 0x0578 });
      const { plaintext } = await decrypt(keyring, ciphertext);
      console.log(JSON.stringify({ text: new TextDecoder().decode(plaintext), exports: Object.keys(globalThis.EdgeKMS).length }));
      `,
    );
    const { text, exports } = JSON.parse(stdout) as { text: string; exports: number };
    expect(text).toBe('from a script tag');
    expect(exports).toBeGreaterThan(10);
  });

  it("gives TypeScript (moduleResolution nodenext) the types of 'edgekms'", async () => {
    await writeFile(
      join(app, 'tsconfig.json'),
      JSON.stringify({
        compilerOptions: {
          target: 'ES2022',
          module: 'NodeNext',
          moduleResolution: 'NodeNext',
          lib: ['ES2023', 'DOM'],
          types: [],
          strict: true,
          noEmit: true,
          skipLibCheck: false,
        },
        files: ['check.ts'],
      }),
    );
    await writeFile(
      join(app, 'check.ts'),
      `
      import { encrypt, decrypt, RawAesKeyring, EdgeKmsError, type EncryptResult } from 'edgekms';
      const keyring = new RawAesKeyring({ keyNamespace: 'app', keyName: 'k1', wrappingKey: new Uint8Array(32) });
      const result: EncryptResult = await encrypt(keyring, 'text', { encryptionContext: { tenant: 'acme' } });
      const { plaintext, encryptionContext } = await decrypt(keyring, result.ciphertext);
      export const length: number = plaintext.byteLength;
      export const tenant: string | undefined = encryptionContext['tenant'];
      export const isError = (e: unknown): boolean => e instanceof EdgeKmsError;
      // @ts-expect-error the suite is one of the supported ids
      await encrypt(keyring, 'text', { suite: 0x0014 });
      `,
    );
    const tsc = join(root, 'node_modules/typescript/bin/tsc');
    const outcome = await run(process.execPath, [tsc, '-p', 'tsconfig.json'], { cwd: app }).then(
      () => 'ok',
      (error: { stdout?: string }) => error.stdout ?? String(error),
    );
    expect(outcome).toBe('ok');
  }, 60_000);
});
