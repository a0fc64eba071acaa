/**
 * The EdgeKMS keyring's recipient key: a non-extractable ECDH P-256 key pair whose public half is
 * sent as the `Recipient` of GenerateDataKey and Decrypt, so the service answers with the data key
 * wrapped to it (CiphertextForRecipient) and never with its Plaintext. The private key cannot be
 * exported, so the data key exists in the clear only inside this runtime.
 *
 * One key pair per client object (the `client` passed to EdgeKmsKeyring), made on first use and
 * kept in memory, or, with `{ store: 'indexeddb' }`, one per IndexedDB database (through `idb`):
 * IndexedDB stores a CryptoKey by structured clone and a non-extractable one stays so, which
 * lets the key outlive a page load (a key policy can then pin its thumbprint). Any script running
 * in the origin can still use the stored key (not read it): see sdk/README.md.
 */
import { type DBSchema, openDB } from 'idb';
import { utf8 } from '../bytes';
import { InvalidArgumentError } from '../errors';
import { toBase64Url } from '../crypto/recipient-jwe';

/** The Recipient member of a request, as docs/api.md defines EdgeKMS's variant. */
export interface RecipientRequest {
  readonly KeyEncryptionAlgorithm: 'ECDH_ES_A256KW';
  readonly PublicKey: RecipientPublicJwk;
}

export interface RecipientPublicJwk {
  readonly kty: 'EC';
  readonly crv: 'P-256';
  readonly x: string;
  readonly y: string;
}

/**
 * `true` (the default): a key in memory per client. `false`: no Recipient is sent, and the
 * service answers with the Plaintext data key. `{ store: 'indexeddb' }`: the key is kept in
 * IndexedDB (database `databaseName`, default "edgekms-recipient-key"), where the runtime has it.
 */
export type RecipientOption = boolean | { readonly store: 'memory' } | { readonly store: 'indexeddb'; readonly databaseName?: string };

export interface RecipientKey {
  readonly privateKey: CryptoKey;
  readonly request: RecipientRequest;
  /** RFC 7638 SHA-256 thumbprint, base64url: the JWE's `kid` and the policy's edgekms:RecipientKeyThumbprint. */
  readonly thumbprint: string;
}

export const DEFAULT_RECIPIENT_DATABASE = 'edgekms-recipient-key';
const STORE = 'keys';
const RECORD_ID = 'recipient';

interface RecipientKeySchema extends DBSchema {
  keys: { key: string; value: { id: string; privateKey: CryptoKey; publicKey: CryptoKey } };
}

/** Checks the option; undefined means "send no Recipient". */
export function recipientSource(option: RecipientOption | undefined): ((client: object) => Promise<RecipientKey>) | undefined {
  const chosen = option === undefined ? true : option;
  if (chosen === false) return undefined;
  if (chosen === true || (isObject(chosen) && chosen.store === 'memory')) return memoryKey;
  if (isObject(chosen) && chosen.store === 'indexeddb') {
    const name = chosen.databaseName ?? DEFAULT_RECIPIENT_DATABASE;
    if (typeof name !== 'string' || name === '') throw new InvalidArgumentError('recipient databaseName must be a non-empty string');
    // Looked up on globalThis: the Workers type definitions (rightly) have no indexedDB.
    if (typeof (globalThis as { indexedDB?: unknown }).indexedDB === 'undefined') {
      throw new InvalidArgumentError('recipient { store: "indexeddb" } needs IndexedDB, which this runtime lacks; use recipient: true (in memory)');
    }
    return () => storedKey(name);
  }
  throw new InvalidArgumentError('recipient must be true, false, { store: "memory" } or { store: "indexeddb", databaseName? }');
}

const memoryKeys = new WeakMap<object, Promise<RecipientKey>>();
const storedKeys = new Map<string, Promise<RecipientKey>>();

function memoryKey(client: object): Promise<RecipientKey> {
  return once(memoryKeys, client, async () => describeKey(await generatePair()));
}

function storedKey(databaseName: string): Promise<RecipientKey> {
  return once(storedKeys, databaseName, async () => {
    const db = await openDB<RecipientKeySchema>(databaseName, 1, {
      upgrade(database) {
        database.createObjectStore(STORE, { keyPath: 'id' });
      },
    });
    try {
      const found = await db.get(STORE, RECORD_ID);
      if (found) return describeKey(found);
      // Generated outside the transaction (which would commit while WebCrypto runs); another tab
      // may store its key first, and then that one is used by both.
      const pair = await generatePair();
      const tx = db.transaction(STORE, 'readwrite');
      const raced = await tx.store.get(RECORD_ID);
      const kept = raced ?? { id: RECORD_ID, privateKey: pair.privateKey, publicKey: pair.publicKey };
      if (!raced) await tx.store.put(kept);
      await tx.done;
      return describeKey(kept);
    } finally {
      db.close();
    }
  });
}

/** The cached promise for `id`, made by `make` once; a failure is not cached, so the next call tries again. */
function once<K extends object | string>(cache: { get(k: K): Promise<RecipientKey> | undefined; set(k: K, v: Promise<RecipientKey>): unknown; delete(k: K): unknown }, id: K, make: () => Promise<RecipientKey>): Promise<RecipientKey> {
  let pending = cache.get(id);
  if (pending === undefined) {
    pending = make();
    cache.set(id, pending);
    pending.catch(() => cache.delete(id));
  }
  return pending;
}

async function generatePair(): Promise<CryptoKeyPair> {
  // extractable false applies to the private key; a public key is always exportable.
  return (await crypto.subtle.generateKey({ name: 'ECDH', namedCurve: 'P-256' }, false, ['deriveBits'])) as CryptoKeyPair;
}

async function describeKey(pair: { privateKey: CryptoKey; publicKey: CryptoKey }): Promise<RecipientKey> {
  if (pair.privateKey.extractable) throw new InvalidArgumentError('the recipient private key must be non-extractable');
  const { x, y } = (await crypto.subtle.exportKey('jwk', pair.publicKey)) as JsonWebKey;
  if (typeof x !== 'string' || typeof y !== 'string') throw new InvalidArgumentError('the recipient public key did not export as a JWK');
  const PublicKey: RecipientPublicJwk = { kty: 'EC', crv: 'P-256', x, y };
  // RFC 7638: the required members in lexicographic order, no whitespace.
  const canonical = `{"crv":"P-256","kty":"EC","x":"${x}","y":"${y}"}`;
  const thumbprint = toBase64Url(new Uint8Array(await crypto.subtle.digest('SHA-256', utf8(canonical))));
  return Object.freeze({ privateKey: pair.privateKey, request: Object.freeze({ KeyEncryptionAlgorithm: 'ECDH_ES_A256KW', PublicKey }), thumbprint });
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null;
}
