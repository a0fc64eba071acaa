import { importAesKey } from '../crypto/aes-gcm';
import { generateKeyMaterial } from '../crypto/material';
import { rootKeys, type RootKeySet, type RootKeySettings } from '../crypto/root-keys';
import { seal, sealedUnder, unseal } from '../crypto/sealing';
import { importDerivationKey, type VersionKeys } from '../crypto/symmetric';
import { InvalidCiphertextException, KMSInternalException, KMSInvalidStateException, UnsupportedOperationException, ValidationException } from '../errors';
import { paginate, type Page } from '../wire/pagination';
import type { KeyRecord, VersionRecord } from './key-record';
import { ON_DEMAND_ROTATIONS_PER_KEY, requireWithinQuota } from './quotas';
import { UnsealedCache } from './unsealed-cache';

const PREFIX = 'version:';
/** The roots this key has retired (root-reseal): it opens nothing under them, and seals nothing under them again. */
const RETIRED_ROOTS = 'roots:retired';
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
 * Every version of a key's material: sealed at rest under the newest root
 * key (bound to key id, version and root), unsealed on first use and cached
 * for at most UNSEALED_LIFETIME_MS. Rotation adds a version; old ones stay,
 * so old blobs decrypt. After a root rotation, `resealNext` moves the
 * versions one at a time to the newest root.
 */
export class KeyVersions {
  private readonly unsealed = new UnsealedCache<UnsealedVersion>();

  constructor(
    private readonly storage: DurableObjectStorage,
    private readonly settings: RootKeySettings,
  ) {}

  /** Read on use, not at construction: a missing root is a refused operation, not an object that cannot start. */
  private get roots(): RootKeySet {
    return rootKeys(this.settings);
  }

  /** Generates and seals the material of a new version. */
  async create(record: KeyRecord, version: number, rotationType: VersionRecord['rotationType']): Promise<void> {
    const material = await generateKeyMaterial(record.keySpec, record.keyUsage);
    const entry: VersionRecord = {
      version,
      createdAt: Date.now(),
      sealed: await seal(this.roots, record.keyId, version, material.secret),
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

  /** How many of this key's versions each root seals (root id -> versions); a malformed seal counts under 0. */
  async census(): Promise<Map<number, number>> {
    const counts = new Map<number, number>();
    for (const entry of (await this.storage.list<VersionRecord>({ prefix: PREFIX })).values()) {
      const root = sealedUnder(entry.sealed) ?? 0;
      counts.set(root, (counts.get(root) ?? 0) + 1);
    }
    return counts;
  }

  /** Whether any version is sealed under another root than the newest. */
  async needsReseal(): Promise<boolean> {
    return [...(await this.census()).keys()].some((root) => root !== this.roots.newest);
  }

  /**
   * One step of the re-seal: the first version not under the newest root is
   * unsealed and sealed again under it, in one storage write that replaces the
   * entry. A step interrupted anywhere leaves the version under its old root
   * or its new one, both readable; repeating a step repeats nothing done.
   * The retired-root check of `material` does not apply: a version under a
   * retired root cannot exist here (retire refuses while one does).
   * Returns the version moved, or undefined when none is left.
   */
  async resealNext(keyId: string): Promise<number | undefined> {
    const newest = this.roots.newest;
    // The oldest root's versions first, so that the oldest root can be retired first.
    const next = [...(await this.storage.list<VersionRecord>({ prefix: PREFIX })).entries()]
      .map(([name, entry]) => ({ name, entry, root: sealedUnder(entry.sealed) ?? 0 }))
      .filter(({ root }) => root !== newest)
      .sort((a, b) => a.root - b.root || a.entry.version - b.entry.version)[0];
    if (!next) return undefined;
    const { name, entry } = next;
    const secret = await unseal(this.roots, keyId, entry.version, entry.sealed);
    try {
      await this.storage.put(name, { ...entry, sealed: await seal(this.roots, keyId, entry.version, secret) });
    } finally {
      secret.fill(0);
    }
    return entry.version;
  }

  /**
   * Retires a root for this key: refused while any version is still sealed
   * under it, or when it is the newest (new versions are sealed under it).
   * Afterwards the key opens nothing sealed under it: a version put back
   * under it (a restored backup) is refused rather than silently used.
   */
  async retire(root: number): Promise<void> {
    if (root === this.roots.newest) throw new ValidationException(`Root key ${root} is the newest root key: new key material is sealed under it.`);
    const sealed = (await this.census()).get(root) ?? 0;
    if (sealed > 0) {
      throw new KMSInvalidStateException(`Root key ${root} still seals ${sealed} version(s) of this key; retire it once the re-seal has moved them.`);
    }
    const retired = await this.retiredRoots();
    if (!retired.includes(root)) await this.storage.put(RETIRED_ROOTS, [...retired, root].sort((a, b) => a - b));
  }

  async retiredRoots(): Promise<number[]> {
    return (await this.storage.get<number[]>(RETIRED_ROOTS)) ?? [];
  }

  /**
   * Every version as stored, sealed: what a multi-Region key sends its
   * replicas (multi-region.ts). Sealed material never opens outside a key's
   * object, so it crosses from object to object as it is at rest.
   */
  async sealedEntries(): Promise<VersionRecord[]> {
    return [...(await this.storage.list<VersionRecord>({ prefix: PREFIX })).values()];
  }

  /**
   * Stores the versions this key lacks, sealed as they came (a replica's
   * material from its primary); returns how many were new. A version it
   * already has is kept: material never changes under a version number.
   */
  async adopt(entries: readonly VersionRecord[]): Promise<number> {
    const held = new Set((await this.sealedEntries()).map((entry) => entry.version));
    const missing = entries.filter((entry) => !held.has(entry.version));
    for (const entry of missing) await this.storage.put(versionKey(entry.version), entry);
    return missing.length;
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
      const root = sealedUnder(entry.sealed);
      if (root !== undefined && (await this.retiredRoots()).includes(root)) {
        throw new KMSInternalException(`Sealed material of ${record.keyId} v${version} is under root key ${root}, which this key retired.`);
      }
      const secret = await unseal(this.roots, record.keyId, version, entry.sealed);
      return { version, secret, ...(entry.publicKey && { publicKey: entry.publicKey }) };
    });
  }
}
