// The demo's upload path (issue 18): encrypted parts PUT from Node to the local Worker, four at a
// time, as the page sends them, measured against two baselines in the same run:
//   bare route     PUT /bench/discard: the same requests and sign-in, the body read and dropped
//   storage alone  PUT /bench/storage-write: the same bytes written to the demo bucket from the
//                  Worker, with no body to receive (the local R2's own write speed)
// Order: bare, storage, parts, storage, bare; the ratios use each baseline's mean. Only 127.0.0.1
// is contacted; the Worker's storage is a fresh temporary directory.
import { randomBytes, randomUUID } from 'node:crypto';
import { Agent, request } from 'node:http';
import { fixed, table, writeResults } from './report.mjs';
import { sourceStamp, startWorker } from './worker-process.mjs';

export const name = 'demo-upload';
export const description = "the demo's part upload (MB/s) against a bare route and the local storage alone, on loopback";

const MiB = 1024 * 1024;
/** demo/src/part-uploader.ts: PART_BYTES and PARALLEL_PARTS. */
const PART_BYTES = 4 * MiB;
const PARALLEL_PARTS = 4;

function settings() {
  const raw = process.env.BENCH_UPLOAD_MIB;
  const mib = raw === undefined || raw === '' ? 100 : Number(raw);
  if (!Number.isInteger(mib) || mib < 4) throw new Error(`bench: BENCH_UPLOAD_MIB=${raw} is not an integer >= 4`);
  return { totalBytes: mib * MiB };
}

/** Startup, five runs of at most a minute each on a busy machine, and slack. */
export const timeoutSeconds = () => 90 + 5 * 60 + 30;

export async function run({ log }) {
  const { totalBytes } = settings();
  const stamp = sourceStamp();
  const worker = await startWorker({ vars: { DEMO_MODE: '1', BENCH_ROUTES: '1' } });
  log(`demo-upload: Worker answering at ${worker.origin}`);
  const agent = new Agent({ keepAlive: true, maxSockets: PARALLEL_PARTS });
  const put = (path, body) =>
    new Promise((resolve, reject) => {
      const headers = { authorization: `Bearer ${worker.adminToken}`, 'content-type': 'application/octet-stream', 'content-length': body.byteLength };
      const sent = request(`${worker.origin}${path}`, { method: 'PUT', agent, headers }, (response) => {
        const chunks = [];
        response.on('data', (chunk) => chunks.push(chunk));
        response.on('end', () => (response.statusCode === 200 || response.statusCode === 201 ? resolve() : reject(new Error(`${path}: ${response.statusCode} ${Buffer.concat(chunks)}`))));
      });
      sent.on('error', reject);
      sent.end(body);
    });
  const part = randomBytes(PART_BYTES);
  const parts = Math.ceil(totalBytes / PART_BYTES);

  /** MB/s of `parts` requests, PARALLEL_PARTS at a time; `pathOf(n)` names the nth. */
  const measure = async (label, pathOf, body) => {
    let next = 0;
    const started = performance.now();
    await Promise.all(
      Array.from({ length: PARALLEL_PARTS }, async () => {
        while (next < parts) await put(pathOf(next++), body);
      }),
    );
    const mbPerSecond = (parts * PART_BYTES) / 1e6 / ((performance.now() - started) / 1000);
    log(`demo-upload: ${label} ${fixed(mbPerSecond)} MB/s`);
    return mbPerSecond;
  };
  const bare = () => measure('bare route', () => '/bench/discard', part);
  const storage = () => measure('storage alone', () => `/bench/storage-write?bytes=${PART_BYTES}`, Buffer.alloc(0));
  const upload = async () => {
    const id = randomUUID();
    await put(`/demo/uploads/${id}/fields`, randomBytes(100));
    return measure('demo parts', (n) => `/demo/uploads/${id}/parts/${n}`, part);
  };

  try {
    await bare(); // warm-up: the first requests start the isolate and open the connections
    const runs = { bare: [await bare()], storage: [await storage()] };
    const demoParts = await upload();
    runs.storage.push(await storage());
    runs.bare.push(await bare());
    const mean = (values) => values.reduce((sum, value) => sum + value, 0) / values.length;
    const bareMean = mean(runs.bare);
    const storageMean = mean(runs.storage);
    const rows = [
      ['bare route (PUT /bench/discard)', fixed(bareMean), '1.00x', '—'],
      ['storage alone (PUT /bench/storage-write)', fixed(storageMean), `${fixed(storageMean / bareMean, 2)}x`, '1.00x'],
      ['demo parts (PUT /demo/uploads/:id/parts/:n)', fixed(demoParts), `${fixed(demoParts / bareMean, 2)}x`, `${fixed(demoParts / storageMean, 2)}x`],
    ];
    console.log(`\ndemo upload, ${totalBytes / MiB} MiB in ${PART_BYTES / MiB} MiB parts, ${PARALLEL_PARTS} at a time\n`);
    console.log(table(['route', 'MB/s', 'vs bare', 'vs storage'], rows));
    const spread = (values) => Math.abs(values[0] - values[1]) / mean(values);
    if (spread(runs.bare) > 0.2 || spread(runs.storage) > 0.2) console.log('\nThe two runs of a baseline differ by more than 20%: the machine was busy.');
    if (sourceStamp() !== stamp) console.log('\nworker/ changed during the run: these are the figures of the build the server started with.');
    const results = { totalBytes, partBytes: PART_BYTES, parallelParts: PARALLEL_PARTS, runs, partsMbPerSecond: demoParts, partsVsBare: demoParts / bareMean, partsVsStorage: demoParts / storageMean };
    writeResults('demo-upload.json', results);
    return { failed: false, below: false, results };
  } finally {
    agent.destroy();
    await worker.stop();
  }
}
