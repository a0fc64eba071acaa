import { env, runInDurableObject } from 'cloudflare:test';
import { describe, expect, it } from 'vitest';
import { rootKeys, type RootKeySettings } from '../../worker/crypto/root-keys';
import { seal, sealedUnder, unseal } from '../../worker/crypto/sealing';
import { KeyStores, sealingName } from '../../worker/directory/key-stores';

/**
 * Root key rotation reaches the external key stores' proxy credentials
 * (directory/key-stores.ts, run by GetRootKeyStatus and RetireRootKey): a
 * secret sealed under an older root moves to the newest and still opens, so
 * the older root can be retired without cutting a store off its proxy.
 */
const ROOT_2 = new Uint8Array(32).fill(2).toBase64();
const ROOTS_1: RootKeySettings = { MASTER_KEY: env.MASTER_KEY };
const ROOTS_12: RootKeySettings = { MASTER_KEY: env.MASTER_KEY, MASTER_KEYS: JSON.stringify({ 2: ROOT_2 }) };
const ONLY_ROOT_2: RootKeySettings = { MASTER_KEYS: JSON.stringify({ 2: ROOT_2 }) };

describe('external key store credentials under root key rotation', () => {
  it('re-seals a store secret under the newest root, once', async () => {
    const directory = env.DIRECTORY.get(env.DIRECTORY.newUniqueId());
    await runInDurableObject(directory, async (_instance, state) => {
      const sql = state.storage.sql;
      new KeyStores(sql, ROOTS_1);
      const secret = 'c2VjcmV0LWZvci10aGUtcmVzZWFsLXRlc3Qtb2YteGtzLXN0b3Jlcw==';
      const sealed = await seal(rootKeys(ROOTS_1), sealingName('cks-0123456789abcdef0'), 1, new TextEncoder().encode(secret));
      sql.exec(
        `INSERT INTO custom_key_stores (id, name, created_at, state, error_code, endpoint, path, access_key_id, sealed_secret)
         VALUES ('cks-0123456789abcdef0', 'reseal', 0, 'DISCONNECTED', NULL, 'https://xks.example.com', '/kms/xks/v1', 'AKIAXKSRESEALTEST234', ?)`,
        sealed,
      );
      expect(await new KeyStores(sql, ROOTS_12).resealAll()).toBe(1);
      const stored = new Uint8Array(sql.exec<{ sealed_secret: ArrayBuffer }>('SELECT sealed_secret FROM custom_key_stores').one().sealed_secret);
      expect(sealedUnder(stored)).toBe(2);
      // Root 1 gone: the secret still opens.
      const opened = await unseal(rootKeys(ONLY_ROOT_2), sealingName('cks-0123456789abcdef0'), 1, stored);
      expect(new TextDecoder().decode(opened)).toBe(secret);
      expect(await new KeyStores(sql, ROOTS_12).resealAll()).toBe(0);
    });
  });
});
