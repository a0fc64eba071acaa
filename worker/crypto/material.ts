import { generateEcPair } from './ecc';
import { KEY_SPECS, type KeySpec, type KeyUsage } from './key-specs';

/**
 * Key material as it exists (briefly) in the key's Durable Object: `secret` is
 * the raw key (AES, HMAC) or the PKCS#8 private key; `publicKey` is the DER
 * SubjectPublicKeyInfo of an asymmetric key. Only `secret` is ever sealed.
 */
export interface KeyMaterial {
  secret: Uint8Array;
  publicKey?: Uint8Array;
}

const RSA_EXPONENT = new Uint8Array([1, 0, 1]);

async function exportPair(pair: CryptoKeyPair): Promise<KeyMaterial> {
  const [secret, publicKey] = await Promise.all([
    crypto.subtle.exportKey('pkcs8', pair.privateKey) as Promise<ArrayBuffer>,
    crypto.subtle.exportKey('spki', pair.publicKey) as Promise<ArrayBuffer>,
  ]);
  return { secret: new Uint8Array(secret), publicKey: new Uint8Array(publicKey) };
}

export async function generateKeyMaterial(spec: KeySpec, usage: KeyUsage): Promise<KeyMaterial> {
  const info = KEY_SPECS[spec];
  switch (info.family) {
    case 'aes':
    case 'hmac':
      return { secret: crypto.getRandomValues(new Uint8Array(info.keyBytes)) };
    case 'ecc': {
      // One PKCS#8 serves ECDSA and ECDH alike (id-ecPublicKey): the key usage decides which it does.
      const { pkcs8, spki } = await generateEcPair(info.namedCurve);
      return { secret: pkcs8, publicKey: spki };
    }
    case 'ed25519':
      return exportPair(
        (await crypto.subtle.generateKey({ name: 'Ed25519' }, true, ['sign', 'verify'])) as CryptoKeyPair,
      );
    case 'rsa': {
      // The WebCrypto algorithm only labels the exported PKCS#8; the same RSA
      // key is later imported for whichever algorithm a request names.
      const name = usage === 'SIGN_VERIFY' ? 'RSA-PSS' : 'RSA-OAEP';
      return exportPair(
        (await crypto.subtle.generateKey(
          { name, modulusLength: info.modulusLength, publicExponent: RSA_EXPONENT, hash: 'SHA-256' },
          true,
          name === 'RSA-PSS' ? ['sign', 'verify'] : ['encrypt', 'decrypt'],
        )) as CryptoKeyPair,
      );
    }
  }
}
