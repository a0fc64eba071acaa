import { allowedContextKeysForRequest, runSimulation } from '@cloud-copilot/iam-simulate';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { Principal } from '../../worker/auth/principal';
import { decideAccess } from '../../worker/policy/access';
import { normalizeConditionKey } from '../../worker/policy/condition-keys';
import { parsePolicy } from '../../worker/policy/document';

/**
 * A differential property test of the policy evaluator (worker/policy/access.ts
 * and evaluate.ts) against an independent one, @cloud-copilot/iam-simulate:
 * random key policies, identity policies and requests, and the two decisions
 * (Allowed, ImplicitlyDenied, ExplicitlyDenied) must be the same, case by case.
 *
 * The generators draw only from what both evaluators read the same way; what
 * they deliberately leave out, and why, is written down in docs/api.md
 * ("Identity policies", differences): `kms:EncryptionContext:<key>` (the
 * simulator 0.1.173 drops it from the request context, so the workerd tests
 * cover it), NotPrincipal, and principal ARNs with wildcards.
 */
const A = '111122223333';
const B = '444455556666';
const alice: Principal = { account: A, arn: `arn:aws:iam::${A}:user/alice`, kind: 'sigv4', claims: {}, roles: [], isAccountAdmin: false };
const bob: Principal = { account: B, arn: `arn:aws:iam::${B}:user/bob`, kind: 'sigv4', claims: {}, roles: [], isAccountAdmin: false };
const keyA = `arn:aws:kms:us-east-1:${A}:key/1234abcd-12ab-34cd-56ef-1234567890ab`;
const keyA2 = `arn:aws:kms:us-east-1:${A}:key/0987dcba-09fe-87dc-65ba-ab0987654321`;
const keyB = `arn:aws:kms:us-east-1:${B}:key/11112222-3333-4444-5555-666677778888`;

const ACTIONS = ['kms:*', '*', 'kms:Encrypt', 'kms:Decrypt', 'kms:GenerateDataKey*', 'kms:Describe*', 'kms:*Key', 'kms:Create*', 'kms:List*', 'kms:PutKeyPolicy', 'kms:CreateAlias'];
const KEY_PRINCIPALS: unknown[] = ['*', { AWS: `arn:aws:iam::${A}:root` }, { AWS: A }, { AWS: alice.arn }, { AWS: `arn:aws:iam::${B}:root` }, { AWS: bob.arn }, { AWS: [alice.arn, bob.arn] }];
const IDENTITY_RESOURCES = ['*', keyA, keyA2, keyB, `arn:aws:kms:*:${A}:key/*`, 'arn:aws:kms:*:*:key/*', `arn:aws:kms:us-east-1:*:alias/demo-*`, 'arn:aws:kms:*:*:alias/demo-${aws:username}', `arn:aws:kms:us-east-1:${A}:key/1234*`];
const KEY_RESOURCES = ['*', keyA, 'arn:aws:kms:*:*:key/*'];

/** One condition: operator, key, values. */
const condition = fc.constantFrom<[string, string, string | string[]]>(
  ['Bool', 'aws:SecureTransport', 'true'],
  ['Bool', 'aws:SecureTransport', 'false'],
  ['StringEquals', 'kms:CallerAccount', A],
  ['StringNotEquals', 'kms:CallerAccount', A],
  ['StringEquals', 'aws:username', 'alice'],
  ['StringEquals', 'aws:username', '${aws:username}'],
  ['StringLike', 'aws:PrincipalArn', 'arn:aws:iam::*:user/a*'],
  ['StringEquals', 'aws:PrincipalAccount', B],
  ['ForAnyValue:StringEquals', 'kms:EncryptionContextKeys', 'tenant'],
  ['ForAllValues:StringEquals', 'kms:EncryptionContextKeys', ['tenant', 'app']],
  ['Null', 'kms:EncryptionContextKeys', 'true'],
  ['Null', 'kms:EncryptionContextKeys', 'false'],
  ['StringEquals', 'kms:RequestAlias', 'alias/demo-alice'],
  ['StringEqualsIfExists', 'kms:RequestAlias', 'alias/demo-alice'],
  ['StringNotLike', 'kms:RequestAlias', 'alias/demo-*'],
);

function conditionBlock(clauses: Array<[string, string, string | string[]]>) {
  const block: Record<string, Record<string, string | string[]>> = {};
  for (const [operator, key, values] of clauses) {
    block[operator] ??= {};
    block[operator][key] ??= values;
  }
  return Object.keys(block).length > 0 ? { Condition: block } : {};
}

const list = <T>(arb: fc.Arbitrary<T>) => fc.oneof(arb, fc.array(arb, { minLength: 1, maxLength: 3 }));

const statement = (kind: 'key' | 'identity') =>
  fc
    .record({
      effect: fc.constantFrom('Allow', 'Allow', 'Deny'),
      principal: fc.constantFrom(...KEY_PRINCIPALS),
      notAction: fc.boolean(),
      actions: list(fc.constantFrom(...ACTIONS)),
      notResource: fc.boolean(),
      resources: list(fc.constantFrom(...(kind === 'key' ? KEY_RESOURCES : IDENTITY_RESOURCES))),
      conditions: fc.array(condition, { maxLength: 2 }),
    })
    .map(({ effect, principal, notAction, actions, notResource, resources, conditions }) => ({
      Effect: effect,
      ...(kind === 'key' && { Principal: principal }),
      [notAction ? 'NotAction' : 'Action']: actions,
      // Key policies are about their own key: as in AWS they say Resource "*" (or the key), never NotResource.
      [notResource && kind === 'identity' ? 'NotResource' : 'Resource']: resources,
      ...conditionBlock(conditions),
    }));

const policy = (kind: 'key' | 'identity') =>
  fc.array(statement(kind), { minLength: 1, maxLength: 4 }).map((Statement) => ({ Version: '2012-10-17', Statement }));

/** A request: who, what, on which resource, with which facts. */
const request = fc
  .record({
    who: fc.constantFrom(alice, alice, bob),
    target: fc.constantFrom(
      { action: 'kms:Encrypt', resource: keyA },
      { action: 'kms:Decrypt', resource: keyA },
      { action: 'kms:GenerateDataKey', resource: keyA },
      { action: 'kms:DescribeKey', resource: keyA },
      { action: 'kms:PutKeyPolicy', resource: keyA },
      { action: 'kms:Encrypt', resource: keyB },
      { action: 'kms:CreateKey', resource: '*' },
      { action: 'kms:ListKeys', resource: '*' },
      { action: 'kms:CreateAlias', resource: `arn:aws:kms:us-east-1:${A}:alias/demo-alice` },
      { action: 'kms:CreateAlias', resource: `arn:aws:kms:us-east-1:${A}:alias/payments` },
      { action: 'kms:CreateAlias', resource: keyA },
    ),
    secure: fc.boolean(),
    contextKeys: fc.option(fc.subarray(['tenant', 'app', 'other'], { minLength: 1 }), { nil: undefined }),
    requestAlias: fc.option(fc.constantFrom('alias/demo-alice', 'alias/demo-bob', 'alias/payments'), { nil: undefined }),
  })
  .filter(({ who, target }) => who === alice || target.resource === keyB || target.resource === keyA || target.resource === '*');

const RESULT = { Allow: 'Allowed', ImplicitDeny: 'ImplicitlyDenied', ExplicitDeny: 'ExplicitlyDenied' } as const;
const CRYPTO = new Set(['kms:Encrypt', 'kms:Decrypt', 'kms:GenerateDataKey']);

type RequestCase = typeof request extends fc.Arbitrary<infer T> ? T : never;

async function bothDecide(keyPolicy: object, identityPolicy: object, req: RequestCase) {
  const { who, target, secure, contextKeys, requestAlias } = req;
  const resourceAccount = target.resource === '*' ? who.account : /:(\d{12}):/.exec(target.resource)![1]!;
  const onKey = target.resource.includes(':key/');
  const context: Record<string, string | string[]> = {
    'aws:SecureTransport': String(secure),
    'kms:CallerAccount': who.account,
    'aws:username': who.arn.slice(who.arn.lastIndexOf('/') + 1),
    'aws:PrincipalArn': who.arn,
    'aws:PrincipalAccount': who.account,
    ...(CRYPTO.has(target.action) && contextKeys && { 'kms:EncryptionContextKeys': contextKeys }),
    ...(onKey && CRYPTO.has(target.action) && requestAlias && { 'kms:RequestAlias': requestAlias }),
  };
  // Both evaluators see the same request context: the keys the action defines, as the simulator filters them.
  const service = target.action.slice(4);
  const allowed = new Set((await allowedContextKeysForRequest('kms', service, target.resource === '*' ? undefined : target.resource)).map((key: string) => key.toLowerCase()));
  const shared = Object.fromEntries(Object.entries(context).filter(([key]) => allowed.has(key.toLowerCase())));

  const simulated = await runSimulation(
    {
      request: { principal: who.arn, action: target.action, resource: { resource: target.resource, accountId: resourceAccount }, contextVariables: shared },
      identityPolicies: [{ name: 'identity', policy: identityPolicy }],
      serviceControlPolicies: [],
      resourceControlPolicies: [],
      ...(onKey && { resourcePolicy: keyPolicy }),
    },
    {},
  );
  if (simulated.resultType === 'error') throw new Error(`simulator refused the input: ${JSON.stringify(simulated.errors)}`);
  const ours = decideAccess(onKey ? parsePolicy(JSON.stringify(keyPolicy)) : undefined, [parsePolicy(JSON.stringify(identityPolicy), 'identity')], {
    principal: who,
    action: target.action,
    resource: target.resource,
    keys: new Map(Object.entries(shared).map(([key, value]) => [normalizeConditionKey(key), value])),
  });
  return { ours: RESULT[ours.decision], theirs: (simulated as { overallResult: string }).overallResult };
}

describe('the policy evaluator agrees with @cloud-copilot/iam-simulate', () => {
  it('on 10,000 random key policies, identity policies and requests', async () => {
    const outcomes = new Map<string, number>();
    await fc.assert(
      fc.asyncProperty(policy('key'), policy('identity'), request, async (keyPolicy, identityPolicy, req) => {
        const { ours, theirs } = await bothDecide(keyPolicy, identityPolicy, req);
        outcomes.set(`${theirs}${req.target.resource.includes(':key/') ? ' on a key' : ''}`, (outcomes.get(`${theirs}${req.target.resource.includes(':key/') ? ' on a key' : ''}`) ?? 0) + 1);
        expect(ours, JSON.stringify({ keyPolicy, identityPolicy, req }, null, 1)).toBe(theirs);
      }),
      { numRuns: Number(process.env.DIFFERENTIAL_RUNS ?? 10_000) },
    );
    // The generators must reach every outcome, on keys and off them, often enough for agreement to mean something.
    const runs = Number(process.env.DIFFERENTIAL_RUNS ?? 10_000);
    expect([...outcomes.values()].reduce((sum, count) => sum + count, 0)).toBeGreaterThanOrEqual(runs);
    for (const outcome of ['Allowed', 'ImplicitlyDenied', 'ExplicitlyDenied']) {
      for (const where of ['', ' on a key']) expect(outcomes.get(outcome + where) ?? 0, outcome + where).toBeGreaterThanOrEqual(runs / 50);
    }
  }, 600_000);
});
