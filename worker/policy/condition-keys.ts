/**
 * Condition key names. IAM treats them as case-insensitive, except for the
 * part a caller chooses: the encryption context key in
 * `kms:EncryptionContext:<key>`, the claim in `jwt:<claim>` and the tag in
 * `aws:PrincipalTag/<tag>`, which stay case-sensitive so that `user` and
 * `User` never stand in for each other.
 */
const CALLER_CHOSEN = /^(kms:encryptioncontext:|jwt:|aws:principaltag\/)(.+)$/i;

export function normalizeConditionKey(key: string): string {
  const chosen = CALLER_CHOSEN.exec(key);
  return chosen ? chosen[1]!.toLowerCase() + chosen[2]! : key.toLowerCase();
}

/** The keys a request may carry; a policy naming any other key is malformed (a typo would fail open). */
const KNOWN = new Set(
  [
    'kms:EncryptionContextKeys',
    'kms:CallerAccount',
    'kms:ViaService',
    'kms:EncryptionAlgorithm',
    'kms:SigningAlgorithm',
    'kms:MacAlgorithm',
    'kms:KeyAgreementAlgorithm',
    'kms:DataKeyPairSpec',
    'kms:MessageType',
    'kms:KeySpec',
    'kms:KeyUsage',
    'kms:GrantOperations',
    'kms:GranteePrincipal',
    'kms:RetiringPrincipal',
    'kms:GrantConstraintType',
    'kms:RotationPeriodInDays',
    'kms:ScheduleKeyDeletionPendingWindowInDays',
    // ReplicateKey's and UpdatePrimaryRegion's target region (key-object/multi-region.ts).
    'kms:ReplicaRegion',
    'kms:PrimaryRegion',
    'kms:RequestAlias',
    'kms:ResourceAliases',
    'edgekms:Origin',
    // Whether the answer is wrapped to a recipient, and to which key (operations/recipient.ts).
    'edgekms:RecipientRequired',
    'edgekms:RecipientKeyThumbprint',
    'aws:PrincipalArn',
    'aws:PrincipalAccount',
    'aws:username',
    'aws:SourceIp',
    'aws:UserAgent',
    'aws:SecureTransport',
    'aws:RequestedRegion',
    'aws:CurrentTime',
    'aws:EpochTime',
  ].map((key) => key.toLowerCase()),
);

export function isKnownConditionKey(key: string): boolean {
  return CALLER_CHOSEN.test(key) || KNOWN.has(key.toLowerCase());
}
