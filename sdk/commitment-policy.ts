/**
 * The commitment policy of a decryption (spec: client-apis/client.md, "Commitment Policy"), with
 * the official SDK's names. Messages of format 1 carry no key commitment: one such message can be
 * crafted to decrypt to different plaintexts under different data keys. So they are refused
 * unless the caller asks for REQUIRE_ENCRYPT_ALLOW_DECRYPT (to read what older writers produced),
 * before any keyring is asked for a key.
 */
import { InvalidArgumentError, UnsupportedFormatError } from './errors';
import { type AlgorithmSuite, type CommitmentPolicy, DEFAULT_COMMITMENT_POLICY } from './suites';

const POLICIES: readonly CommitmentPolicy[] = ['REQUIRE_ENCRYPT_REQUIRE_DECRYPT', 'REQUIRE_ENCRYPT_ALLOW_DECRYPT'];

/** Checks an option value up front, so a typo is an argument error rather than a refused message. */
export function resolveCommitmentPolicy(policy: CommitmentPolicy | undefined): CommitmentPolicy {
  if (policy === undefined) return DEFAULT_COMMITMENT_POLICY;
  if (!POLICIES.includes(policy)) throw new InvalidArgumentError(`commitmentPolicy must be one of ${POLICIES.join(', ')}`);
  return policy;
}

export function checkCommitmentPolicy(suite: AlgorithmSuite, policy: CommitmentPolicy): void {
  if (suite.commitKeyLength > 0 || policy === 'REQUIRE_ENCRYPT_ALLOW_DECRYPT') return;
  throw new UnsupportedFormatError(
    `message format ${suite.messageFormatVersion} suite ${suite.name} has no key commitment; ` +
      `commitmentPolicy REQUIRE_ENCRYPT_ALLOW_DECRYPT reads it`,
  );
}
