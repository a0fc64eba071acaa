import { SELF } from 'cloudflare:test';
import { describe, expect, it } from 'vitest';
import { app } from '../../worker/app';
import { OPERATIONS } from '../../worker/operations/registry';

/**
 * Every route the app registers, called without credentials (and with a
 * forged token): nothing but the static demo files answers, and no
 * operation runs.
 */
const STATIC_ROUTE = { method: 'GET', path: '/*' };
/**
 * The demo's sign-in is the way to credentials, so it cannot demand them; it
 * exists only with DEMO_MODE=1 (test/workers/demo.test.ts). The session
 * config says only whether demo mode is on, the account and the region.
 */
const PUBLIC_ROUTES = ['GET /demo/session-config', 'POST /demo/token'];

function concretePaths(path: string): string[] {
  if (path === '/v1/:operation') return Object.keys(OPERATIONS).map((name) => `/v1/${name}`);
  if (path === '/') return Object.keys(OPERATIONS).map((name) => `/#${name}`);
  return [path.replace('/*', '/anything').replace(/:(\w+)/g, 'x')];
}

describe('no route is reachable without authentication', () => {
  // A route with its own middleware is one entry per handler: each method and path is asked once.
  const routes = [
    ...new Map(app.routes.filter((route) => route.method !== 'ALL').map((route) => [`${route.method} ${route.path}`, route])).values(),
  ];

  it('the app has the routes this test knows about', () => {
    expect(routes.map((route) => `${route.method} ${route.path}`).sort()).toEqual(
      [
        'GET /*',
        'POST /',
        'POST /bench/bare-wrap',
        'PUT /bench/discard',
        'PUT /bench/storage-write',
        'POST /bench/objects-addressed',
        'POST /v1/:operation',
        'GET /demo/session-config',
        'POST /demo/token',
        'GET /demo/uploads',
        'PUT /demo/uploads/:id/fields',
        'PUT /demo/uploads/:id/parts/:part',
        'POST /demo/uploads/:id/complete',
        'GET /demo/uploads/:id/fields',
        'GET /demo/uploads/:id/file',
        'DELETE /demo/uploads/:id',
      ].sort(),
    );
    expect(Object.keys(OPERATIONS).length).toBeGreaterThan(40);
  });

  for (const route of routes) {
    if (route.method === STATIC_ROUTE.method && route.path === STATIC_ROUTE.path) continue;
    if (PUBLIC_ROUTES.includes(`${route.method} ${route.path}`)) continue;
    for (const path of concretePaths(route.path)) {
      for (const authorization of [undefined, 'Bearer forged', 'Basic YWRtaW46YWRtaW4=']) {
        it(`${route.method} ${path} with ${authorization ?? 'no credentials'} is refused`, async () => {
          // The AWS protocol names its operation in X-Amz-Target, on POST /.
          const [url, target] = path.startsWith('/#') ? ['/', `TrentService.${path.slice(2)}`] : [path, undefined];
          const headers: Record<string, string> = { ...(authorization && { authorization }), ...(target && { 'x-amz-target': target }) };
          const requestBody = route.method === 'GET' ? undefined : '{}';
          // The demo routes answer only on a loopback host (demo.test.ts); elsewhere they would refuse before authentication.
          const origin = path.startsWith('/demo/') ? 'http://localhost:8787' : 'https://kms.test';
          const response = await SELF.fetch(`${origin}${url}`, { method: route.method, headers, body: requestBody });
          const body = (await response.json().catch(() => ({}))) as { __type?: string };
          if (path.startsWith('/v1/') || path.startsWith('/demo/')) expect(response.status).toBe(401);
          else if (target) {
            // AWS KMS answers authentication failures with 400 (403 for a missing token) and these names.
            expect([400, 403]).toContain(response.status);
            expect(['MissingAuthenticationTokenException', 'IncompleteSignature']).toContain(body.__type);
          } else expect([401, 404]).toContain(response.status); // the benchmark route does not exist unless enabled
        });
      }
    }
  }

  it('GET serves only the static demo files, never API data', async () => {
    for (const path of ['/', '/index.html', '/v1/ListKeys', '/v1/DescribeKey', '/bench/bare-wrap']) {
      const response = await SELF.fetch(`https://kms.test${path}`);
      const text = await response.text();
      expect(response.status === 200 || response.status === 404, path).toBe(true);
      expect(text).not.toContain('KeyMetadata');
      expect(text).not.toContain('"Keys"');
    }
  });
});
