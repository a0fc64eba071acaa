import type { Caller } from '../auth/caller';
import type { Bindings } from '../env';
import { DryRunOperationException } from '../errors';
import { indexGrant, unindexGrant } from './directory-index';
import { grantFacts, issueGrant, namedGrant, requireRetirer, type CreateGrantRequest } from './grant-actions';
import type { GrantStore } from './grant-store';
import type { Grant } from './grants';
import type { KeyRecord } from './key-record';
import type { KeyTransactions } from './transaction';

/**
 * The grant operations of a key's object, each one transaction: authorize,
 * change the key's grant table, keep the account's retirable-grant index in
 * step (directory-index.ts), audit.
 */
export class KeyGrants {
  constructor(
    private readonly env: Bindings,
    private readonly tx: KeyTransactions,
    private readonly grants: GrantStore,
  ) {}

  create(caller: Caller, request: CreateGrantRequest) {
    const facts = grantFacts(request);
    return this.tx.mutate(async () => {
      const { record, grant: parent } = this.tx.admitWithGrant(caller, 'kms:CreateGrant', 'enabled', facts);
      const { grant, created } = issueGrant(this.grants, record, caller, request, parent);
      if (created) await indexGrant(this.env, record, grant);
      return { grantId: grant.grantId, grantToken: grant.token };
    }, { caller, action: 'kms:CreateGrant', facts });
  }

  list(caller: Caller, filter: { grantId?: string; granteePrincipal?: string }, limit: number | undefined, marker: string | undefined) {
    return this.tx.read({ caller, action: 'kms:ListGrants' }, 'exists', () => this.grants.page(filter, limit, marker));
  }

  /** Authorized by the grant itself (grant-actions.ts), not only by the key policy. */
  retire(caller: Caller, grantId: string, grantToken: string | undefined, dryRun: boolean) {
    return this.tx.mutate(async () => {
      const record = this.tx.existing(caller);
      const grant = namedGrant(this.grants, grantId, grantToken);
      requireRetirer(record, grant, caller);
      if (dryRun) throw new DryRunOperationException('The request would have succeeded, but the DryRun option is set.');
      await this.drop(record, grant);
    }, { caller, action: 'kms:RetireGrant' });
  }

  revoke(caller: Caller, grantId: string) {
    return this.tx.mutate(async () => {
      const record = this.tx.admit(caller, 'kms:RevokeGrant', 'exists');
      await this.drop(record, namedGrant(this.grants, grantId));
    }, { caller, action: 'kms:RevokeGrant' });
  }

  private async drop(record: KeyRecord, grant: Grant): Promise<void> {
    this.grants.delete(grant.grantId);
    await unindexGrant(this.env, record, grant);
  }
}
