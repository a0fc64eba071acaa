import { importAesKey } from '../crypto/aes-gcm';
import { generateKeyMaterial } from '../crypto/material';
import { seal, unseal } from '../crypto/sealing';
import { importDerivationKey, type VersionKeys } from '../crypto/symmetric';
import { InvalidCiphertextException, UnsupportedOperationException } from '../errors';
import { paginate, type Page } from '../wire/pagination';
import type { KeyRecord, VersionRecord } from './key-record';
import { ON_DEMAND_ROTATIONS_PER_KEY, requireWithinQuota } from './quotas';
import { UnsealedCache } from './unsealed-cache';

const PREFIX = 'version:';
const versionKey = (version: number) => `${PREFIX}${String(version).padStart(10, '0')}`;

/** A version's material, unsealed for a limited time (unsealed-cache.ts). */
interface UnsealedVersion {
  version: number;
  secret: Uint8Array;
  publicKey?: Uint8Array;
  /** A symmetric version's root key as non-extractable CryptoKeys, each imported once while the version stays unsealed. */
  derivationKey?: Promise<CryptoKey>;
  /** Only for format-1 blobs, so only imported when one is decrypted. */
  directAesKey?: Promise<CryptoKey>;
}

/** One rotation in the key's history, as ListKeyRotations reports it. */
export interface Rotation {
  version: number;
  createdAt: number;
  rotationType: 'AUTOMATIC' | 'ON_DEMAND';
}

/**
 * Every version of a key's material: sealed at rest under MASTER_KEY (bound
 * to key id and version), unsealed on first use and cached for at most
 * UNSEALED_LIFETIME_MS. Rotation adds a version; old ones stay, so old blobs decrypt.
 */
export class KeyVersions {
  private readonly unsealed = new UnsealedCache<UnsealedVersion>();

  constructor(
    private readonly storage: DurableObjectStorage,
    private readonly masterKey: string,
  ) {}

  /** Generates and seals the material of a new version. */
  async create(record: KeyRecord, version: number, rotationType: VersionRecord['rotationType']): Promise<void> {
    const material = await generateKeyMaterial(record.keySpec, record.keyUsage);
    const entry: VersionRecord = {
      version,
      createdAt: Date.now(),
      sealed: await seal(this.masterKey, record.keyId, version, material.secret),
      ...(material.publicKey && { publicKey: material.publicKey }),
      ...(rotationType && { rotationType }),
    };
    await this.storage.put(versionKey(version), entry);
    material.secret.fill(0);
  }

  /** Adds the next version and makes it current (in `record`, which the caller persists). */
  async rotate(record: KeyRecord, rotationType: Rotation['rotationType']): Promise<void> {
    const next = record.currentVersion + 1;
    await this.create(record, next, rotationType);
    record.currentVersion = next;
  }

  /** RotateKeyOnDemand. Each adds a version for good, so the quota counts them over the key's life. */
  async rotateOnDemand(record: KeyRecord): Promise<void> {
    const done = [...(await this.storage.list<VersionRecord>({ prefix: PREFIX })).values()].filter((v) => v.rotationType === 'ON_DEMAND').length;
    requireWithinQuota('On-demand rotations per key', ON_DEMAND_ROTATIONS_PER_KEY, done);
    await this.rotate(record, 'ON_DEMAND');
  }

  /** The rotations (every version but the first), in version order. */
  async rotations(limit: number | undefined, marker: string | undefined): Promise<Page<Rotation>> {
    const versions = await this.storage.list<VersionRecord>({ prefix: PREFIX });
    const rotations = [...versions.entries()].filter(([, v]) => v.rotationType !== undefined);
    const page = paginate(rotations, ([key]) => key, limit, marker);
    return {
      ...page,
      items: page.items.map(([, v]) => ({ version: v.version, createdAt: v.createdAt, rotationType: v.rotationType! })),
    };
  }

  /** Deletes every version and wipes the cached material (the end of a deletion window). */
  async destroyAll(): Promise<void> {
    const versions = [...(await this.storage.list({ prefix: PREFIX })).keys()];
    // The storage API deletes at most 128 keys per call.
    for (let start = 0; start < versions.length; start += 128) {
      await this.storage.delete(versions.slice(start, start + 128));
    }
    for (const pending of this.unsealed.takeAll()) void pending.then((material) => material.secret.fill(0), () => {});
  }

  /** The SPKI of an asymmetric key, without unsealing its private half. */
  async publicKey(record: KeyRecord): Promise<Uint8Array> {
    const { publicKey } = await this.stored(record, record.currentVersion);
    if (!publicKey) throw new UnsupportedOperationException(`A ${record.keySpec} key has no public key.`);
    return publicKey;
  }

  /** The unsealed secret of a version. */
  async secret(record: KeyRecord, version: number): Promise<Uint8Array> {
    return (await this.material(record, version)).secret;
  }

  /** A symmetric version's root key in the forms the blob formats need, imported on first use. */
  keys(record: KeyRecord, version: number): VersionKeys {
    return {
      derivation: async () => {
        const material = await this.material(record, version);
        material.derivationKey ??= importDerivationKey(material.secret);
        return material.derivationKey;
      },
      direct: async () => {
        const material = await this.material(record, version);
        material.directAesKey ??= importAesKey(material.secret);
        return material.directAesKey;
      },
    };
  }

  private async stored(record: KeyRecord, version: number): Promise<VersionRecord> {
    const entry = await this.storage.get<VersionRecord>(versionKey(version));
    if (!entry) throw new InvalidCiphertextException(`Key ${record.keyId} has no version ${version}.`);
    return entry;
  }

  /** The unsealed material of a version, cached for a limited time (unsealed-cache.ts). */
  private material(record: KeyRecord, version: number): Promise<UnsealedVersion> {
    return this.unsealed.obtain(version, async () => {
      const entry = await this.stored(record, version);
      const secret = await unseal(this.masterKey, record.keyId, version, entry.sealed);
      return { version, secret, ...(entry.publicKey && { publicKey: entry.publicKey }) };
    });
  }
}
