// `npm run conformance`: moto's KMS test suite (getmoto/moto, tests/test_kms/), run by pytest with
// boto3 pointed at a local EdgeKMS. The suite is placed by hand (README.md here says how), never
// vendored. The Worker is the one `npm start` runs (scripts/local-server.mjs), in memory, and is
// started afresh before every test: moto gives each test an empty account, and its assertions
// (such as "ListKeys returns the two keys just made") rely on that.
import { spawn } from 'node:child_process';
import { webcrypto } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startLocalServer } from '../../scripts/local-server.mjs';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const HERE = fileURLToPath(new URL('.', import.meta.url));
/** Where the suite's `tests/` folder sits: MOTO_SUITE, or ../moto-suite beside the checkout. */
const SUITE = resolve(ROOT, process.env.MOTO_SUITE ?? '../moto-suite');
/** moto's tests expect this account in every ARN they build (moto.core.DEFAULT_ACCOUNT_ID). */
const MOTO_ACCOUNT = '123456789012';
/**
 * Files that test moto itself, not the KMS API: its model classes, its utility functions, its own
 * HTTP server, its policy evaluator fed moto objects, and its CloudFormation emulation.
 */
const MOTO_INTERNALS = ['test_model.py', 'test_utils.py', 'test_server.py', 'test_kms_cloudformation.py'];

if (!existsSync(join(SUITE, 'tests', 'test_kms'))) {
  console.error(`No moto suite at ${SUITE}/tests/test_kms. Place it as test/conformance/README.md says, or set MOTO_SUITE.`);
  process.exit(2);
}

function randomText(alphabet, length) {
  return Array.from(webcrypto.getRandomValues(new Uint8Array(length)), (b) => alphabet[b % alphabet.length]).join('');
}
const accessKeyId = `AKIA${randomText('ABCDEFGHIJKLMNOPQRSTUVWXYZ234567', 16)}`;
const secretAccessKey = Buffer.from(webcrypto.getRandomValues(new Uint8Array(30))).toString('base64');
const vars = {
  MASTER_KEY: Buffer.from(webcrypto.getRandomValues(new Uint8Array(32))).toString('base64'),
  KMS_ACCOUNT_ID: MOTO_ACCOUNT,
  AWS_ACCESS_KEYS: JSON.stringify({ [accessKeyId]: { secretAccessKey, account: MOTO_ACCOUNT, user: 'moto', admin: true } }),
  THROTTLE_RATE: '1000000',
};

const start = (port) => startLocalServer({ host: '127.0.0.1', port, vars, logLevel: 'error' });
let worker = await start(0);
const port = Number(new URL(worker.url).port);

// The shim (edgekms_moto_shim.py) asks for a fresh Worker, on the same port, before each test.
let restarting = Promise.resolve();
const control = createServer((request, response) => {
  restarting = restarting.then(async () => {
    await worker.dispose();
    worker = await start(port);
  });
  restarting.then(
    () => response.end('ok'),
    (error) => {
      response.statusCode = 500;
      response.end(String(error));
    },
  );
});
await new Promise((done) => control.listen(0, '127.0.0.1', done));

const report = join(mkdtempSync(join(tmpdir(), 'edgekms-conformance-')), 'junit.xml');
const ignores = MOTO_INTERNALS.map((file) => `--ignore=tests/test_kms/${file}`);
const pytest = spawn(
  'python3',
  ['-m', 'pytest', '-p', 'edgekms_moto_shim', '-q', '-rfE', '--no-header', '-p', 'no:cacheprovider', `--junitxml=${report}`, ...ignores, ...process.argv.slice(2), 'tests/test_kms'],
  {
    cwd: SUITE,
    stdio: 'inherit',
    env: {
      ...process.env,
      PYTHONPATH: [HERE, SUITE, process.env.PYTHONPATH].filter(Boolean).join(':'),
      AWS_ENDPOINT_URL_KMS: worker.url,
      AWS_ACCESS_KEY_ID: accessKeyId,
      AWS_SECRET_ACCESS_KEY: secretAccessKey,
      AWS_DEFAULT_REGION: 'us-east-1',
      EDGEKMS_CONFORMANCE_RESET: `http://127.0.0.1:${control.address().port}/`,
    },
  },
);
const code = await new Promise((done) => pytest.on('exit', (status) => done(status ?? 1)));
control.close();
await restarting;
await worker.dispose();

// pytest's own summary line is above; this one counts the same run from its JUnit report.
const xml = existsSync(report) ? readFileSync(report, 'utf8') : '';
const count = (name) => Number(new RegExp(`<testsuite [^>]*\\b${name}="(\\d+)"`).exec(xml)?.[1] ?? 0);
const [tests, failures, errors, skipped] = ['tests', 'failures', 'errors', 'skipped'].map(count);
const passed = tests - failures - errors - skipped;
console.log(`moto conformance (${SUITE}, internals excluded: ${MOTO_INTERNALS.join(', ')})`);
console.log(`${passed} passed, ${failures + errors} failed, ${skipped} skipped`);
console.log(`pass rate: ${tests - skipped > 0 ? ((100 * passed) / (tests - skipped)).toFixed(1) : '0.0'}%`);
process.exit(code);
