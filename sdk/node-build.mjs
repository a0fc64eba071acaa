// Which SDK modules the Node build replaces, and the plugins that do it, for every tool that
// builds or loads the SDK for Node: the package build (sdk/vite.config.mts, the `node` export
// condition), the Node test project (vitest.config.mts) and the benchmarks (esbuild). One module
// only: AES-GCM and its HKDF on node:crypto (crypto/aes-gcm.node.ts); browsers and Workers keep
// WebCrypto, the only crypto path there.
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const SDK_DIR = dirname(fileURLToPath(import.meta.url));

/** Absolute path of a portable module -> absolute path of its Node replacement. */
export const NODE_REPLACEMENTS = new Map([[join(SDK_DIR, 'crypto/aes-gcm.ts'), join(SDK_DIR, 'crypto/aes-gcm.node.ts')]]);

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
      build.onResolve({ filter: /aes-gcm$/ }, (args) => {
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
      if (!source.endsWith('aes-gcm') || !source.startsWith('.') || importer === undefined) return null;
      const resolved = await this.resolve(source, importer, { ...options, skipSelf: true });
      const replacement = resolved ? replacementFor(resolved.id) : undefined;
      return replacement ?? null;
    },
  };
}
