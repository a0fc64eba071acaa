// Tables for the SDK benchmarks' results (sdk-cases.mjs), the same for every runtime: one table
// per group of cases, MB/s per contender and the ratios the targets use, then the targets with
// PASS or BELOW.
import { fixed, table } from './report.mjs';
import { pairedRatio, verdicts } from './sdk-cases.mjs';

const x = (v) => (Number.isFinite(v) ? `${v.toFixed(2)}x` : '—');

const GROUPS = {
  stream: {
    title:
      'Large streams (suite 0x0478, raw AES keyring): edgekms streams vs raw WebCrypto making frame-sized calls (4 in flight) in the same stream pipeline ("raw"; "raw calls": the same calls with no streams at all) and the official SDK',
    ratios: [
      ['vs raw', 'edgekms', 'raw'],
      ['vs raw calls', 'edgekms', 'rawCalls'],
      ['vs off. =frame', 'edgekms', 'officialEqual'],
      ['vs off. 4K', 'edgekms', 'officialDefault'],
    ],
  },
  small: {
    title: '1 KiB messages, buffer API, raw AES keyring; raw = one AES-GCM call; raw format = the WebCrypto calls a message of the format needs, in their order, and nothing else; cached = caching materials manager + local cache',
    ratios: [
      ['vs official', 'edgekms', 'official'],
      ['cached vs off. cached', 'edgekmsCached', 'officialCached'],
      ['hit vs no cache', 'edgekmsCached', 'edgekms'],
    ],
  },
  cache: {
    title: 'Cache hit vs no cache, multi-keyring',
    ratios: [['hit vs no cache', 'edgekmsCached', 'edgekms']],
  },
  signed: {
    title: 'Signed suite 0x0578 (ECDSA P-384), raw AES keyring: edgekms buffer and stream APIs vs the official buffer API; "JS SHA-384": hashing the bytes alone (@noble/hashes), the ceiling of a stream of this suite in browsers and Workers (the Node build hashes natively, node:crypto)',
    ratios: [
      ['buffer vs official', 'edgekms', 'official'],
      ['stream vs off. buffer', 'edgekmsStream', 'official'],
      ['JS SHA-384 vs off. buffer', 'sha384', 'official'],
    ],
  },
  frames: {
    title: "The buffer API's frame length: edgekms buffer API at each frame length (MB/s)",
    ratios: [],
  },
};

const LABELS = {
  edgekms: 'edgekms',
  edgekmsCached: 'edgekms cached',
  edgekmsStream: 'edgekms stream',
  raw: 'raw',
  rawCalls: 'raw calls',
  rawFormat: 'raw format',
  official: 'official',
  officialCached: 'official cached',
  officialEqual: 'official =frame',
  officialDefault: 'official 4K',
  sha384: 'JS SHA-384',
};

/** MB/s, or messages per second for messages under 64 KiB (where MB/s rounds to nothing). */
function rate(r, name) {
  const mbps = r.mbps[name];
  return r.bytes < 64 * 1024 ? fixed((mbps * 1e6) / r.bytes, 0) : fixed(mbps);
}

/** Lines of text: the tables and the targets for one runtime's results. */
export function formatResults(runtime, results, { heading } = {}) {
  const out = [''];
  if (heading) out.push(heading);
  out.push('figures: MB/s (10^6 plaintext bytes/s), or msg/s for messages under 64 KiB, median of rounds; ratios: median of the per-round ratios (both sides timed back to back)');
  for (const [group, spec] of Object.entries(GROUPS)) {
    const rows = results.filter((r) => r.group === group);
    if (rows.length === 0) continue;
    const names = [...new Set(rows.flatMap((r) => r.contenders))];
    const ratios = spec.ratios.filter(([, a, b]) => names.includes(a) && names.includes(b));
    out.push('', `[${runtime}] ${spec.title}`);
    out.push(
      table(
        ['case', 'op', ...names.map((n) => LABELS[n] ?? n), ...ratios.map(([label]) => label)],
        rows.map((r) => [r.label, r.op, ...names.map((n) => rate(r, n)), ...ratios.map(([, a, b]) => x(pairedRatio(r, a, b)))]),
      ),
    );
  }
  const found = verdicts(runtime, results);
  out.push('', `[${runtime}] Targets (issue 15):`);
  for (const v of found) out.push(`  ${v.pass ? 'PASS ' : 'BELOW'}  ${v.label}: ${x(v.value)}${v.note && !v.pass ? ` (${v.note})` : ''}`);
  return { lines: out, verdicts: found };
}
