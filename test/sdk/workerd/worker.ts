/**
 * The trivial main module of the SDK test Worker (test/sdk/workerd/wrangler.toml). The SDK's
 * suites import the SDK themselves; this Worker only gives workerd something to load.
 */
export default {
  fetch(): Response {
    return new Response('EdgeKMS SDK test Worker');
  },
};
