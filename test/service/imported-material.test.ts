import { randomBytes } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { awsCliFor, run } from './aws-cli';

/**
 * Issue 16, acceptance 1: the import flow as AWS KMS documents it
 * ("Importing key material"), with the AWS CLI against the real Worker and
 * OpenSSL doing the caller's wrapping, byte for byte the commands of AWS's
 * guide: RSAES_OAEP_SHA_256 with `openssl pkeyutl`, RSA_AES_KEY_WRAP_SHA_256
 * with `openssl enc -id-aes256-wrap-pad` and `openssl pkeyutl`.
 */
const { home, awsKms } = awsCliFor('edgekms-byok-');
const file = (name: string) => join(home, name);

/** GetParametersForImport, with the public key and the token saved as the binary files the guide's commands read. */
async function importParameters(keyId: string, algorithm: string, spec = 'RSA_2048') {
  const answer = await awsKms('get-parameters-for-import', '--key-id', keyId, '--wrapping-algorithm', algorithm, '--wrapping-key-spec', spec);
  writeFileSync(file('WrappingPublicKey.der'), Buffer.from(answer.PublicKey, 'base64'));
  writeFileSync(file('ImportToken.bin'), Buffer.from(answer.ImportToken, 'base64'));
  return answer;
}

/** RSA-OAEP with SHA-256 for OAEP and MGF1, as AWS's guide runs it. */
async function opensslOaepSha256(input: string, output: string) {
  await run('openssl', [
    'pkeyutl', '-encrypt', '-in', input, '-out', output, '-inkey', file('WrappingPublicKey.der'), '-keyform', 'DER', '-pubin',
    '-pkeyopt', 'rsa_padding_mode:oaep', '-pkeyopt', 'rsa_oaep_md:sha256', '-pkeyopt', 'rsa_mgf1_md:sha256',
  ]);
}

/** RSA_AES_KEY_WRAP_SHA_256: a fresh AES-256 key wraps the material (RFC 5649), the wrapping key encrypts the AES key; the two concatenated. */
async function opensslRsaAesKeyWrap(material: string, output: string) {
  await run('openssl', ['rand', '-out', file('aes-key.bin'), '32']);
  const aesHex = readFileSync(file('aes-key.bin')).toString('hex');
  await run('openssl', ['enc', '-id-aes256-wrap-pad', '-K', aesHex, '-iv', 'A65959A6', '-in', material, '-out', file('material-wrapped.bin')]);
  await opensslOaepSha256(file('aes-key.bin'), file('aes-key-wrapped.bin'));
  writeFileSync(output, Buffer.concat([readFileSync(file('aes-key-wrapped.bin')), readFileSync(file('material-wrapped.bin'))]));
}

async function state(keyId: string) {
  return (await awsKms('describe-key', '--key-id', keyId)).KeyMetadata;
}

/** The CLI's refusal: it exits non-zero and names the error on stderr. */
async function refusal(...args: string[]): Promise<string> {
  try {
    await awsKms(...args);
  } catch (error) {
    return String((error as { stderr?: string }).stderr);
  }
  throw new Error(`aws kms ${args[0]} succeeded`);
}

describe('imported key material with the AWS CLI and OpenSSL (issue 16)', () => {
  it('imports, encrypts and decrypts, expires on the alarm, deletes, and takes the same material back', { timeout: 180_000 }, async () => {
    const { KeyMetadata } = await awsKms('create-key', '--origin', 'EXTERNAL', '--description', 'byok with the aws cli');
    const keyId = KeyMetadata.KeyId as string;
    expect(KeyMetadata).toMatchObject({ Origin: 'EXTERNAL', KeyState: 'PendingImport', Enabled: false });
    expect(KeyMetadata).not.toHaveProperty('ExpirationModel');

    // The material: 256 random bits, as the guide makes it.
    await run('openssl', ['rand', '-out', file('PlaintextKeyMaterial.bin'), '32']);

    // RSAES_OAEP_SHA_256, wrapped by openssl pkeyutl.
    const parameters = await importParameters(keyId, 'RSAES_OAEP_SHA_256', 'RSA_3072');
    expect(parameters.KeyId).toBe(KeyMetadata.Arn);
    expect(parameters.ParametersValidTo).toBeDefined();
    await opensslOaepSha256(file('PlaintextKeyMaterial.bin'), file('EncryptedKeyMaterial.bin'));
    const imported = await awsKms(
      'import-key-material', '--key-id', keyId, '--encrypted-key-material', `fileb://${file('EncryptedKeyMaterial.bin')}`,
      '--import-token', `fileb://${file('ImportToken.bin')}`, '--expiration-model', 'KEY_MATERIAL_DOES_NOT_EXPIRE',
    );
    expect(imported).toEqual({ KeyId: KeyMetadata.Arn, KeyMaterialId: expect.stringMatching(/^[a-f0-9]{64}$/) });
    expect(await state(keyId)).toMatchObject({ KeyState: 'Enabled', Enabled: true, ExpirationModel: 'KEY_MATERIAL_DOES_NOT_EXPIRE' });

    // The token is used up.
    expect(await refusal(
      'import-key-material', '--key-id', keyId, '--encrypted-key-material', `fileb://${file('EncryptedKeyMaterial.bin')}`,
      '--import-token', `fileb://${file('ImportToken.bin')}`, '--expiration-model', 'KEY_MATERIAL_DOES_NOT_EXPIRE',
    )).toContain('InvalidImportTokenException');

    writeFileSync(file('plaintext.txt'), 'bring your own key');
    const encrypted = await awsKms('encrypt', '--key-id', keyId, '--plaintext', `fileb://${file('plaintext.txt')}`, '--encryption-context', 'purpose=byok');
    writeFileSync(file('ciphertext.bin'), Buffer.from(encrypted.CiphertextBlob, 'base64'));
    const decrypt = ['decrypt', '--ciphertext-blob', `fileb://${file('ciphertext.bin')}`, '--encryption-context', 'purpose=byok'];
    expect(Buffer.from((await awsKms(...decrypt)).Plaintext, 'base64').toString()).toBe('bring your own key');

    // DeleteImportedKeyMaterial: at once PendingImport, and the ciphertext waits.
    expect(await awsKms('delete-imported-key-material', '--key-id', keyId)).toEqual(imported);
    expect((await state(keyId)).KeyState).toBe('PendingImport');
    expect(await refusal(...decrypt)).toContain('KMSInvalidStateException');

    // Other material is refused (RSA_AES_KEY_WRAP_SHA_256, wrapped by openssl enc and pkeyutl).
    writeFileSync(file('OtherKeyMaterial.bin'), randomBytes(32));
    await importParameters(keyId, 'RSA_AES_KEY_WRAP_SHA_256');
    await opensslRsaAesKeyWrap(file('OtherKeyMaterial.bin'), file('EncryptedKeyMaterial.bin'));
    expect(await refusal(
      'import-key-material', '--key-id', keyId, '--encrypted-key-material', `fileb://${file('EncryptedKeyMaterial.bin')}`,
      '--import-token', `fileb://${file('ImportToken.bin')}`, '--expiration-model', 'KEY_MATERIAL_DOES_NOT_EXPIRE',
    )).toContain('IncorrectKeyMaterialException');

    // Re-import of the same material, RSA_AES_KEY_WRAP_SHA_256, expiring soon: time for the two checks below, each a CLI start.
    await importParameters(keyId, 'RSA_AES_KEY_WRAP_SHA_256', 'RSA_4096');
    await opensslRsaAesKeyWrap(file('PlaintextKeyMaterial.bin'), file('EncryptedKeyMaterial.bin'));
    const validTo = Math.ceil(Date.now() / 1000) + 25;
    expect(await awsKms(
      'import-key-material', '--key-id', keyId, '--encrypted-key-material', `fileb://${file('EncryptedKeyMaterial.bin')}`,
      '--import-token', `fileb://${file('ImportToken.bin')}`, '--expiration-model', 'KEY_MATERIAL_EXPIRES', '--valid-to', String(validTo),
    )).toEqual(imported);
    expect(await state(keyId)).toMatchObject({ KeyState: 'Enabled', ExpirationModel: 'KEY_MATERIAL_EXPIRES', ValidTo: expect.anything() });
    expect(Buffer.from((await awsKms(...decrypt)).Plaintext, 'base64').toString()).toBe('bring your own key');

    // Expiry: the key's alarm fires on its own at ValidTo and deletes the material.
    let expired: Record<string, unknown> | undefined;
    for (let attempt = 0; attempt < 60 && !expired; attempt++) {
      const metadata = await state(keyId);
      if (metadata.KeyState === 'PendingImport') expired = metadata;
      else await new Promise((resolve) => setTimeout(resolve, 1000));
    }
    expect(expired, 'the alarm returned the key to PendingImport').toMatchObject({ KeyState: 'PendingImport', ExpirationModel: 'KEY_MATERIAL_EXPIRES' });
    expect(expired).not.toHaveProperty('ValidTo');
    expect(await refusal(...decrypt)).toContain('KMSInvalidStateException');

    // And the same material restores it once more (RSAES_OAEP_SHA_256).
    await importParameters(keyId, 'RSAES_OAEP_SHA_256');
    await opensslOaepSha256(file('PlaintextKeyMaterial.bin'), file('EncryptedKeyMaterial.bin'));
    await awsKms(
      'import-key-material', '--key-id', keyId, '--encrypted-key-material', `fileb://${file('EncryptedKeyMaterial.bin')}`,
      '--import-token', `fileb://${file('ImportToken.bin')}`, '--expiration-model', 'KEY_MATERIAL_DOES_NOT_EXPIRE',
    );
    expect(Buffer.from((await awsKms(...decrypt)).Plaintext, 'base64').toString()).toBe('bring your own key');
  });

  it('imports OpenSSL-made RSA and secp256k1 private keys (PKCS#8 DER, RSA_AES_KEY_WRAP_SHA_256) that sign for openssl to verify', { timeout: 180_000 }, async () => {
    const specs = [
      { keySpec: 'RSA_2048', genpkey: ['-algorithm', 'RSA', '-pkeyopt', 'rsa_keygen_bits:2048'], signing: 'RSASSA_PSS_SHA_256', verify: ['-pkeyopt', 'rsa_padding_mode:pss', '-pkeyopt', 'rsa_pss_saltlen:32'] },
      { keySpec: 'ECC_SECG_P256K1', genpkey: ['-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:secp256k1'], signing: 'ECDSA_SHA_256', verify: [] },
    ];
    for (const { keySpec, genpkey, signing, verify } of specs) {
      const { KeyMetadata } = await awsKms('create-key', '--origin', 'EXTERNAL', '--key-spec', keySpec, '--key-usage', 'SIGN_VERIFY');
      const keyId = KeyMetadata.KeyId as string;
      // As AWS's guide has it: a PKCS#8 DER private key (genpkey's DER is PKCS#1 or SEC 1, which KMS refuses).
      await run('openssl', ['genpkey', ...genpkey, '-out', file('private.pem')]);
      await run('openssl', ['pkcs8', '-topk8', '-nocrypt', '-in', file('private.pem'), '-outform', 'DER', '-out', file('private.der')]);
      await run('openssl', ['pkey', '-in', file('private.pem'), '-traditional', '-outform', 'DER', '-out', file('traditional.der')]);
      await importParameters(keyId, 'RSA_AES_KEY_WRAP_SHA_256', 'RSA_2048');
      await opensslRsaAesKeyWrap(file('traditional.der'), file('EncryptedKeyMaterial.bin'));
      expect(await refusal(
        'import-key-material', '--key-id', keyId, '--encrypted-key-material', `fileb://${file('EncryptedKeyMaterial.bin')}`,
        '--import-token', `fileb://${file('ImportToken.bin')}`, '--expiration-model', 'KEY_MATERIAL_DOES_NOT_EXPIRE',
      ), keySpec).toContain('IncorrectKeyMaterialException');
      await importParameters(keyId, 'RSA_AES_KEY_WRAP_SHA_256', 'RSA_3072');
      await opensslRsaAesKeyWrap(file('private.der'), file('EncryptedKeyMaterial.bin'));
      await awsKms(
        'import-key-material', '--key-id', keyId, '--encrypted-key-material', `fileb://${file('EncryptedKeyMaterial.bin')}`,
        '--import-token', `fileb://${file('ImportToken.bin')}`, '--expiration-model', 'KEY_MATERIAL_DOES_NOT_EXPIRE',
      );
      // The public key KMS answers is the one of the imported private key.
      await run('openssl', ['pkey', '-inform', 'DER', '-in', file('private.der'), '-pubout', '-outform', 'DER', '-out', file('public.der')]);
      expect((await awsKms('get-public-key', '--key-id', keyId)).PublicKey, keySpec).toBe(readFileSync(file('public.der')).toString('base64'));
      writeFileSync(file('message.txt'), `signed by an imported ${keySpec} key`);
      const { Signature } = await awsKms('sign', '--key-id', keyId, '--message', `fileb://${file('message.txt')}`, '--signing-algorithm', signing);
      writeFileSync(file('signature.bin'), Buffer.from(Signature, 'base64'));
      const { stdout } = await run('openssl', [
        'pkeyutl', '-verify', '-rawin', '-digest', 'sha256', '-in', file('message.txt'), '-sigfile', file('signature.bin'), '-pubin', '-inkey', file('public.der'), '-keyform', 'DER', ...verify,
      ]);
      expect(stdout, keySpec).toContain('Signature Verified Successfully');
    }
  });
});
