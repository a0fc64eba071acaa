import { UnsupportedOperationException } from '../errors';
import { generateKeyMaterial } from './material';

/**
 * Data key pairs (GenerateDataKeyPair): a fresh asymmetric pair, generated
 * the same way as an asymmetric KMS key's, returned as a DER PKCS#8
 * PrivateKeyInfo (RFC 5958) and a DER SubjectPublicKeyInfo (RFC 5280). AWS
 * KMS does not restrict what a data key pair is used for outside KMS, so
 * every spec comes out of one generator.
 */
export const DATA_KEY_PAIR_SPECS = [
  'RSA_2048',
  'RSA_3072',
  'RSA_4096',
  'ECC_NIST_P256',
  'ECC_NIST_P384',
  'ECC_NIST_P521',
  'ECC_SECG_P256K1',
  'SM2',
  'ECC_NIST_EDWARDS25519',
] as const;
export type DataKeyPairSpec = (typeof DATA_KEY_PAIR_SPECS)[number];

export interface DataKeyPair {
  privateKey: Uint8Array;
  publicKey: Uint8Array;
}

/** Refuses what the service cannot make, before any key is authorized or generated. */
export function requireSupportedPairSpec(spec: DataKeyPairSpec): Exclude<DataKeyPairSpec, 'SM2'> {
  // SM2 is a China Regions spec in AWS KMS; the service has no SM2 implementation.
  if (spec === 'SM2') throw new UnsupportedOperationException('KeyPairSpec SM2 is not supported: it is available only in the AWS China Regions.');
  return spec;
}

export async function generateDataKeyPair(spec: DataKeyPairSpec): Promise<DataKeyPair> {
  const { secret, publicKey } = await generateKeyMaterial(requireSupportedPairSpec(spec), 'SIGN_VERIFY');
  return { privateKey: secret, publicKey: publicKey! };
}
