/**
 * Ed25519 through the service's `verifySignature` (ECC_NIST_EDWARDS25519,
 * ED25519_SHA_512, MessageType RAW). The group gives the raw 32-byte public
 * key; the service takes a DER SubjectPublicKeyInfo, so it is wrapped here.
 */
import { expect } from 'vitest';
import { verifySignature } from '../../../worker/crypto/signing';
import { concat, expectVerdict, hex, hexField, settle, toHex, vectorSuite, type WycheproofGroup } from './vectors';

interface EddsaGroup extends WycheproofGroup {
  publicKey: { curve: string; pk: string };
  publicKeyDer?: string;
}

// SubjectPublicKeyInfo { id-Ed25519 } BIT STRING header (RFC 8410).
const ED25519_SPKI_PREFIX = hex('302a300506032b6570032100');
const spkiOf = (group: EddsaGroup) => concat(ED25519_SPKI_PREFIX, hex(group.publicKey.pk));

vectorSuite<EddsaGroup>(
  'ed25519_test.json',
  'Ed25519: verifySignature RAW',
  async ({ group, test, label }) => {
    const outcome = await settle(() =>
      verifySignature('ECC_NIST_EDWARDS25519', spkiOf(group), 'ED25519_SHA_512', 'RAW', hexField(test, 'msg'), hexField(test, 'sig')),
    );
    expectVerdict(`${label} RAW`, test.result, outcome);
  },
  {
    groupTitle: (group, index) => `group ${index}: key ${group.publicKey.pk.slice(0, 16)}…`,
    checkGroup: (group) => {
      expect(group.publicKey.curve).toBe('edwards25519');
      expect(group.publicKey.pk).toHaveLength(64);
      if (group.publicKeyDer) expect(toHex(spkiOf(group))).toBe(group.publicKeyDer);
    },
  },
);
