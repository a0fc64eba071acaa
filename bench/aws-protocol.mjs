// AWS-protocol benchmark: GenerateDataKey through `POST /` signed with SigV4
// (what the AWS SDKs send) against the native `POST /v1/GenerateDataKey`
// with a JWT bearer token, in the same local server and the same run. Order
// native, aws, native: the native mean is the reference.
import { createHmac, randomBytes } from 'node:crypto';
import { NodeSha256 } from './node-sha256.mjs';
import { SignatureV4 } from '@smithy/signature-v4';
import { measure } from './load.mjs';
import { fixed, table, writeResults } from './report.mjs';
import { startWorker } from './worker-process.mjs';

export const name = 'aws-protocol';
export const description = 'GenerateDataKey: AWS protocol (SigV4) vs native protocol (JWT)';

const ISSUER = 'https://bench.edgekms.test/';
const AUDIENCE = 'edgekms-bench';


function hs256Jwt(secret, claims) {
  const encode = (value) => Buffer.from(JSON.stringify(value)).toString('base64url');
  const unsigned = `${encode({ alg: 'HS256', typ: 'JWT' })}.${encode(claims)}`;
  return `${unsigned}.${createHmac('sha256', secret).update(unsigned).digest('base64url')}`;
}

export async function run({ duration, connections, warmup, log = console.error }) {
  const accessKeyId = `AKIA${randomBytes(8).toString('hex').toUpperCase()}`;
  const secretAccessKey = randomBytes(30).toString('base64');
  const jwtSecret = randomBytes(32).toString('hex');
  const worker = await startWorker({
    vars: {
      // Throughput, not throttling (the rate limit and the isolate's fair share), is what is measured.
      THROTTLE_RATE: '0',
      THROTTLE_CONCURRENCY: '0',
      AWS_ACCESS_KEYS: JSON.stringify({ [accessKeyId]: { secretAccessKey, account: '111122223333', user: 'bench', admin: true } }),
      JWT_HS256_SECRET: jwtSecret,
      JWT_ISSUER: ISSUER,
      JWT_AUDIENCE: AUDIENCE,
    },
  });
  log(`aws-protocol: Worker answering at ${worker.origin}`);
  try {
    const now = Math.floor(Date.now() / 1000);
    const jwt = hs256Jwt(jwtSecret, { iss: ISSUER, aud: AUDIENCE, sub: 'bench', groups: ['kms-admin'], iat: now, exp: now + 3600 });
    const created = await fetch(`${worker.origin}/v1/CreateKey`, { method: 'POST', headers: { authorization: `Bearer ${jwt}` }, body: '{}' });
    if (created.status !== 200) throw new Error(`CreateKey answered ${created.status}: ${await created.text()}`);
    const keyId = (await created.json()).KeyMetadata.KeyId;
    const body = JSON.stringify({ KeyId: keyId, KeySpec: 'AES_256', EncryptionContext: { purpose: 'bench' } });

    // A SigV4 signature stays valid for 15 minutes and carries no nonce, so one
    // signed request can be sent again and again; the server verifies each time.
    const host = new URL(worker.origin).host;
    const signer = new SignatureV4({ credentials: { accessKeyId, secretAccessKey }, region: 'us-east-1', service: 'kms', sha256: NodeSha256 });
    const signed = await signer.sign({
      method: 'POST',
      protocol: 'http:',
      hostname: host.split(':')[0],
      port: Number(host.split(':')[1]),
      path: '/',
      headers: { host, 'content-type': 'application/x-amz-json-1.1', 'x-amz-target': 'TrentService.GenerateDataKey' },
      body,
    });
    const probe = await fetch(`${worker.origin}/`, { method: 'POST', headers: signed.headers, body });
    if (probe.status !== 200) throw new Error(`signed GenerateDataKey answered ${probe.status}: ${await probe.text()}`);

    const routes = {
      native: { url: `${worker.origin}/v1/GenerateDataKey`, headers: { authorization: `Bearer ${jwt}` }, body },
      aws: { url: `${worker.origin}/`, headers: signed.headers, body },
    };
    const results = [];
    for (const [label, route] of [['native (JWT)', routes.native], ['aws (SigV4)', routes.aws], ['native (JWT)', routes.native]]) {
      if (warmup > 0) await measure({ ...route, duration: warmup, connections, title: `${label} warm-up` });
      log(`aws-protocol: ${label}: ${duration} s at ${connections} connections`);
      results.push({ label, ...(await measure({ ...route, duration, connections, title: label })) });
    }
    const failed = results.some((r) => r.failed);
    const nativeMean = (results[0].requestsPerSecond + results[2].requestsPerSecond) / 2;
    const aws = results[1];
    console.log(`\nGenerateDataKey by protocol (npm start's local server): ${duration} s per run, ${connections} connections\n`);
    console.log(
      table(
        ['run', 'req/s', 'p50 ms', 'p99 ms', 'non-2xx', 'errors'],
        results.map((r) => [r.label, fixed(r.requestsPerSecond, 0), fixed(r.latencyMs.p50), fixed(r.latencyMs.p99), String(r.non2xx), String(r.errors)]),
      ),
    );
    const ratio = aws.requestsPerSecond / nativeMean;
    console.log(`\nAWS protocol (SigV4) / native protocol (JWT): ${fixed(ratio, 2)}x${failed ? '  (a run FAILED; see above)' : ''}`);
    writeResults('aws-protocol.json', { benchmark: name, date: new Date().toISOString(), duration, connections, results, nativeMean, ratio, failed });
    return { name, failed, below: false, results };
  } finally {
    await worker.stop();
  }
}
