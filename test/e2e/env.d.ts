/** What test/setup/e2e-worker.ts provides to the end-to-end suite. */
declare module 'vitest' {
  interface ProvidedContext {
    demoUrl: string;
    /** The Worker's persisted state (Durable Objects, R2), for reading what storage holds. */
    demoStateDir: string;
  }
}

export {};
