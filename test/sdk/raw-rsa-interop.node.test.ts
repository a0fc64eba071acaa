/**
 * RawRsaKeyring against the official SDK's RawRsaKeyringNode, sharing one key pair (PEM, as Node
 * writes it): every padding, both suites, both directions.
 *
 * Node 20 refuses RSA_PKCS1_PADDING for private decryption (CVE-2023-46809) unless started with
 * `--security-revert=CVE-2023-46809`, so the official keyring reads PKCS1 messages in a child
 * Node started with that flag; every other case runs in this process.
 */
import { execFile } from 'node:child_process';
import { constants, generateKeyPairSync } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { AlgorithmSuiteIdentifier, CommitmentPolicy, RawRsaKeyringNode, buildClient } from '@aws-crypto/client-node';
import { describe, expect, it } from 'vitest';
import { RawRsaKeyring, decrypt, encrypt, type RsaPadding, type SuiteId } from '../../sdk/index';
import { expectSameBytes, randomBytes } from './helpers';

const run = promisify(execFile);
const official = buildClient(CommitmentPolicy.REQUIRE_ENCRYPT_REQUIRE_DECRYPT);
const { publicKey, privateKey } = generateKeyPairSync('rsa', {
  modulusLength: 3072,
  publicKeyEncoding: { type: 'spki', format: 'pem' },
  privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
});
const NAMESPACE = 'rsa-interop';
const KEY_NAME = 'rsa-key-✓';

/** Each padding as this SDK names it (the spec's names) and as the official Node keyring takes it. */
const PADDINGS: readonly { ours: RsaPadding; padding: number; oaepHash?: 'sha1' | 'sha256' | 'sha384' | 'sha512' }[] = [
  { ours: 'OAEP-SHA1-MGF1', padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash: 'sha1' },
  { ours: 'OAEP-SHA256-MGF1', padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash: 'sha256' },
  { ours: 'OAEP-SHA384-MGF1', padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash: 'sha384' },
  { ours: 'OAEP-SHA512-MGF1', padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash: 'sha512' },
  { ours: 'PKCS1', padding: constants.RSA_PKCS1_PADDING },
];
const SUITES: readonly { label: string; ours: SuiteId; theirs: AlgorithmSuiteIdentifier }[] = [
  { label: '0x0478', ours: 0x0478, theirs: AlgorithmSuiteIdentifier.ALG_AES256_GCM_IV12_TAG16_HKDF_SHA512_COMMIT_KEY },
  { label: '0x0578', ours: 0x0578, theirs: AlgorithmSuiteIdentifier.ALG_AES256_GCM_IV12_TAG16_HKDF_SHA512_COMMIT_KEY_ECDSA_P384 },
];
const CONTEXT = { tenant: 'acme', purpose: 'rsa interop' };

function ours(padding: RsaPadding): RawRsaKeyring {
  return new RawRsaKeyring({ keyNamespace: NAMESPACE, keyName: KEY_NAME, padding, publicKey, privateKey });
}

function theirs({ padding, oaepHash }: (typeof PADDINGS)[number]): RawRsaKeyringNode {
  return new RawRsaKeyringNode({ keyNamespace: NAMESPACE, keyName: KEY_NAME, rsaKey: { publicKey, privateKey }, padding, ...(oaepHash ? { oaepHash } : {}) });
}

/** The official SDK decrypts `message` in a Node started with the PKCS1 private-decryption revert. */
async function officialDecryptPkcs1(message: Uint8Array): Promise<Uint8Array> {
  const script = `
    import { CommitmentPolicy, RawRsaKeyringNode, buildClient } from '@aws-crypto/client-node';
    import { constants } from 'node:crypto';
    const { privateKey, message } = JSON.parse(process.env.INPUT);
    const keyring = new RawRsaKeyringNode({ keyNamespace: '${NAMESPACE}', keyName: '${KEY_NAME}', rsaKey: { privateKey }, padding: constants.RSA_PKCS1_PADDING });
    const { plaintext } = await buildClient(CommitmentPolicy.REQUIRE_ENCRYPT_REQUIRE_DECRYPT).decrypt(keyring, Buffer.from(message, 'base64'));
    process.stdout.write('\\nPLAINTEXT ' + plaintext.toString('base64'));
  `;
  const { stdout } = await run(process.execPath, ['--security-revert=CVE-2023-46809', '--input-type=module', '-e', script], {
    cwd: fileURLToPath(new URL('../../', import.meta.url)),
    env: { ...process.env, INPUT: JSON.stringify({ privateKey, message: Buffer.from(message).toString('base64') }) },
    maxBuffer: 16 << 20,
  });
  // Node writes its security-revert warning to stdout first.
  return new Uint8Array(Buffer.from(stdout.split('\nPLAINTEXT ')[1]!, 'base64'));
}

describe('RawRsaKeyring and the official RawRsaKeyringNode', () => {
  const plaintext = randomBytes(10_000);

  for (const padding of PADDINGS) {
    for (const suite of SUITES) {
      it(`the official SDK decrypts what this SDK wrote (${padding.ours}, ${suite.label})`, async () => {
        const { ciphertext } = await encrypt(ours(padding.ours), plaintext, { suite: suite.ours, encryptionContext: CONTEXT, frameLength: 4096 });
        const clear =
          padding.ours === 'PKCS1' ? await officialDecryptPkcs1(ciphertext) : new Uint8Array((await official.decrypt(theirs(padding), ciphertext)).plaintext);
        expectSameBytes(clear, plaintext);
      });

      it(`this SDK decrypts what the official SDK wrote (${padding.ours}, ${suite.label})`, async () => {
        const { result } = await official.encrypt(theirs(padding), plaintext, { suiteId: suite.theirs, encryptionContext: CONTEXT, frameLength: 4096 });
        const decrypted = await decrypt(ours(padding.ours), result, { expectedContext: CONTEXT });
        expectSameBytes(decrypted.plaintext, plaintext);
        expect(decrypted.header.encryptedDataKeys[0]!.providerId).toBe(NAMESPACE);
      });
    }
  }

  it('an OAEP hash that differs from the writer’s does not decrypt', async () => {
    const { result } = await official.encrypt(theirs(PADDINGS[1]!), plaintext, { encryptionContext: CONTEXT });
    await expect(decrypt(ours('OAEP-SHA1-MGF1'), result)).rejects.toMatchObject({ name: 'NoDecryptableKeyError' });
  });
});
