/**
 * Serves the test identity provider's JWKS on loopback, so that the JWKS URL
 * path (jose's remote key set) is tested against a real HTTP server.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { TestProject } from 'vitest/node';

declare module 'vitest' {
  interface ProvidedContext {
    jwksUrl: string;
  }
}

export default async function setup(project: TestProject) {
  const { identityProvider } = project.getProvidedContext();
  let requests = 0;
  const server = createServer((request, response) => {
    requests++;
    if (request.url !== '/.well-known/jwks.json') {
      response.writeHead(404).end();
      return;
    }
    response.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(identityProvider.publicJwks));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  project.provide('jwksUrl', `http://127.0.0.1:${port}/.well-known/jwks.json`);
  return () => {
    server.close();
    if (process.env.EDGEKMS_DEBUG) console.log(`jwks server answered ${requests} requests`);
  };
}
