// Types of node-build.mjs, for the build configs that import it (sdk/vite.config.mts).
import type { Plugin } from 'vite';

export const NODE_REPLACEMENTS: ReadonlyMap<string, string>;
export function nodeVitePlugin(): Plugin;
export function nodeBuildPlugin(): { name: string; setup(build: unknown): void };
