import { it, expect } from 'vitest';
import { encryptStream, decryptStream, decrypt, encrypt } from '../../sdk/index';
import { rawKeyring, randomBytes, expectSameBytes } from './helpers';
async function collect(s: ReadableStream<Uint8Array>) { const parts: Uint8Array[] = []; for await (const p of s as any) parts.push(p); const out = new Uint8Array(parts.reduce((a, p) => a + p.byteLength, 0)); let o = 0; for (const p of parts) { out.set(p, o); o += p.byteLength; } return out; }
function source(data: Uint8Array, size: number) { let o = 0; return new ReadableStream<Uint8Array>({ pull(c) { if (o >= data.byteLength) { c.close(); return; } c.enqueue(data.slice(o, o + size)); o += size; } }); }
it('smoke', async () => {
  for (const suite of [0x0478, 0x0578] as const) for (const n of [0, 1, 99, 100, 101, 1000]) for (const cs of [1, 7, 100, 5000]) {
    const data = randomBytes(n);
    const ct = await collect(source(data, cs).pipeThrough(encryptStream(rawKeyring(), { suite, frameLength: 100 })));
    expectSameBytes((await decrypt(rawKeyring(), ct)).plaintext, data);
    const pt = await collect(source(ct, cs).pipeThrough(decryptStream(rawKeyring())));
    expectSameBytes(pt, data);
    const { ciphertext } = await encrypt(rawKeyring(), data, { suite, frameLength: 100 });
    expectSameBytes(await collect(source(ciphertext, cs).pipeThrough(decryptStream(rawKeyring()))), data);
  }
});
