// The official browser SDK's packages use Node's `Buffer` global; esbuild injects this module
// wherever they do, giving them the `buffer` package's implementation (installed in this folder).
export { Buffer } from 'buffer';
