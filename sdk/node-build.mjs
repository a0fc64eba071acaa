// Which SDK modules the Node build replaces, and the plugins that do it, for every tool that
// builds or loads the SDK for Node: the package build (sdk/vite.config.mts, the `node` export
// condition), the Node test project (vitest.config.mts) and the benchmarks (esbuild). Two modules:
// AES-GCM and its HKDF on node:crypto (crypto/aes-gcm.node.ts), and the incremental hash a signed
// stream feeds its message through (crypto/message-hash.node.ts); browsers and Workers keep
// WebCrypto (and @noble/hashes where WebCrypto has nothing incremental).
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const SDK_DIR = dirname(fileURLToPath(import.meta.url));

/** Absolute path of a portable module -> absolute path of its Node replacement. */
export const NODE_REPLACEMENTS = new Map(
  ['crypto/aes-gcm', 'crypto/message-hash'].map((module) => [join(SDK_DIR, `${module}.ts`), join(SDK_DIR, `${module}.node.ts`)]),
);
/** Import specifiers that may name a replaced module (matched before resolving). */
const REPLACED_SPECIFIER = /\/(aes-gcm|message-hash)$/;

const CANDIDATE_SUFFIXES = ['', '.ts'];

function replacementFor(resolvedPath) {
  for (const suffix of CANDIDATE_SUFFIXES) {
    const replacement = NODE_REPLACEMENTS.get(resolvedPath + suffix);
    if (replacement) return replacement;
  }
  return undefined;
}

/** esbuild plugin: relative imports that resolve to a replaced module load its Node version. */
export function nodeBuildPlugin() {
  return {
    name: 'edgekms-node-build',
    setup(build) {
      build.onResolve({ filter: REPLACED_SPECIFIER }, (args) => {
        if (!args.path.startsWith('.')) return undefined;
        const replacement = replacementFor(join(args.resolveDir, args.path));
        return replacement ? { path: replacement } : undefined;
      });
    },
  };
}

/** Vite / Vitest plugin doing the same. */
export function nodeVitePlugin() {
  return {
    name: 'edgekms-node-build',
    enforce: 'pre',
    async resolveId(source, importer, options) {
      if (!REPLACED_SPECIFIER.test(source) || !source.startsWith('.') || importer === undefined) return null;
      const resolved = await this.resolve(source, importer, { ...options, skipSelf: true });
      const replacement = resolved ? replacementFor(resolved.id) : undefined;
      return replacement ?? null;
    },
  };
}
