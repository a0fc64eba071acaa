import { z } from 'zod';
import { AccessDeniedException } from '../errors';
import type { IdentityKind } from '../directory/identity-policy-store';
import { accessDeniedMessage } from '../policy/access';
import { MAX_IDENTITY_POLICY_LENGTH, parsePolicy } from '../policy/document';
import { unwrap } from '../result';
import { identityDirectory } from '../stubs';
import type { OperationContext } from './context';
import { forgetIdentityPolicies } from './identity-resolution';
import { defineOperation } from './operation';
import { marker } from './schema';

/**
 * Identity policies, managed as IAM manages inline policies: PutUserPolicy,
 * GetUserPolicy, ListUserPolicies, DeleteUserPolicy and the same four for
 * roles, with IAM's member names and response shapes. A user is an access
 * key's `user` or a token's `sub`; a role is a name in the token's roles
 * claim or the access key's `roles`. These are IAM actions, not KMS ones: no
 * KMS policy can allow them, so only an administrator may call them.
 */
const IAM_NAME = /^[\w+=,.@-]+$/;
/** A token subject may hold more than IAM's user-name characters; never whitespace, wildcards or `$` (auth/jwt.ts). */
const USER_NAME = /^[^\s*?$\u0000-\u001f\u007f]{1,256}$/;

const userName = z.string().regex(USER_NAME, 'Member must satisfy regular expression pattern: [^\\s*?$]+').max(256);
const roleName = z.string().min(1).max(64).regex(IAM_NAME, 'Member must satisfy regular expression pattern: [\\w+=,.@-]+');
const policyName = z.string().min(1).max(128).regex(IAM_NAME, 'Member must satisfy regular expression pattern: [\\w+=,.@-]+');
const policyDocument = z.string().min(1).max(MAX_IDENTITY_POLICY_LENGTH);
const maxItems = z.number().int().min(1).max(1000).optional();

function requireIamAdmin(ctx: OperationContext, action: string, kind: IdentityKind, identity: string): void {
  if (ctx.principal.isAccountAdmin) return;
  const resource = `arn:aws:iam::${ctx.principal.account}:${kind}/${identity}`;
  throw new AccessDeniedException(accessDeniedMessage(ctx.principal.arn, `iam:${action}`, resource, { decision: 'ImplicitDeny', policyType: 'identity-based' }));
}

/** The four operations for one kind of identity, named as IAM names them. */
function operationsFor(kind: IdentityKind, nameField: 'UserName' | 'RoleName', identityName: z.ZodType<string>) {
  const Kind = kind === 'user' ? 'User' : 'Role';
  // The identity's member name differs by kind (UserName, RoleName); `identityOf` reads it back.
  const named = <T extends z.ZodRawShape>(shape: T) => z.object({ [nameField]: identityName, ...shape }) as unknown as z.ZodObject<T>;
  const store = (ctx: OperationContext) => identityDirectory(ctx.env, ctx.principal.account);
  const identityOf = (input: object) => (input as Record<string, string>)[nameField]!;

  return {
    [`Put${Kind}Policy`]: defineOperation({
      input: named({ PolicyName: policyName, PolicyDocument: policyDocument }),
      async run(input, ctx) {
        const identity = identityOf(input);
        requireIamAdmin(ctx, `Put${Kind}Policy`, kind, identity);
        parsePolicy(input.PolicyDocument, 'identity');
        unwrap(await store(ctx).putIdentityPolicy(kind, identity, input.PolicyName, input.PolicyDocument));
        forgetIdentityPolicies(ctx.principal.account);
      },
    }),
    [`Get${Kind}Policy`]: defineOperation({
      input: named({ PolicyName: policyName }),
      async run(input, ctx) {
        const identity = identityOf(input);
        requireIamAdmin(ctx, `Get${Kind}Policy`, kind, identity);
        const document = unwrap(await store(ctx).getIdentityPolicy(kind, identity, input.PolicyName));
        return { [nameField]: identity, PolicyName: input.PolicyName, PolicyDocument: document };
      },
    }),
    [`List${Kind}Policies`]: defineOperation({
      input: named({ Marker: marker, MaxItems: maxItems }),
      async run(input, ctx) {
        const identity = identityOf(input);
        requireIamAdmin(ctx, `List${Kind}Policies`, kind, identity);
        const page = unwrap(await store(ctx).listIdentityPolicies(kind, identity, input.MaxItems ?? 100, input.Marker));
        return { PolicyNames: page.items, IsTruncated: page.nextMarker !== undefined, ...(page.nextMarker && { Marker: page.nextMarker }) };
      },
    }),
    [`Delete${Kind}Policy`]: defineOperation({
      input: named({ PolicyName: policyName }),
      async run(input, ctx) {
        const identity = identityOf(input);
        requireIamAdmin(ctx, `Delete${Kind}Policy`, kind, identity);
        unwrap(await store(ctx).deleteIdentityPolicy(kind, identity, input.PolicyName));
        forgetIdentityPolicies(ctx.principal.account);
      },
    }),
  };
}

export const { PutUserPolicy, GetUserPolicy, ListUserPolicies, DeleteUserPolicy } = operationsFor('user', 'UserName', userName);
export const { PutRolePolicy, GetRolePolicy, ListRolePolicies, DeleteRolePolicy } = operationsFor('role', 'RoleName', roleName);
