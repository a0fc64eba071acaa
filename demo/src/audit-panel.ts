/**
 * The audit trail of the user's key: the newest records, and the service's verification of the
 * key's hash chain (each record holds the hash of the one before, so an edit or a gap shows).
 */
import { byId, el, formatTime } from './dom';
import { onClick } from './feedback';
import { kms } from './kms';
import { userOf } from './upload-context';

interface AuditRecord {
  Sequence: number;
  Time: number;
  Operation: string;
  Principal: string;
  Outcome: string;
  ErrorName?: string;
  KeyVersion?: number;
}

interface ChainCheck {
  /** Present once the verdict is certain: on the last page, or as soon as a record is found broken. */
  Valid?: boolean;
  Chains: { Records: number; Valid: boolean; FirstInvalidRecord?: { Sequence: number; Reason: string } }[];
  NextMarker?: string;
  Truncated: boolean;
}

const SHOWN = 25;
const MAX_PAGES = 50;

export interface AuditPanel {
  refresh(): Promise<void>;
  /** Forgets the trail shown (on sign-out), including any refresh still under way. */
  clear(): void;
}

export function createAuditPanel(keyArn: () => string | undefined): AuditPanel {
  const chain = byId('audit-chain');
  const rows = byId('audit-records');

  async function newestRecords(KeyId: string): Promise<AuditRecord[]> {
    // The API pages from the oldest record; the page wants the newest, so it reads to the end.
    let records: AuditRecord[] = [];
    let marker: string | undefined;
    for (let page = 0; page < MAX_PAGES; page++) {
      const found = await kms.send<{ Records: AuditRecord[]; NextMarker?: string; Truncated: boolean }>('ListAuditRecords', {
        KeyId,
        Limit: 1000,
        ...(marker && { Marker: marker }),
      });
      records = [...records, ...found.Records].slice(-SHOWN);
      marker = found.Truncated ? found.NextMarker : undefined;
      if (!marker) break;
    }
    return records.reverse();
  }

  /** The service verifies a long chain in pages; the last one (or the first to find a break) has the verdict. */
  async function verifyChain(KeyId: string): Promise<ChainCheck> {
    let check = await kms.send<ChainCheck>('VerifyAuditChain', { KeyId });
    for (let page = 1; page < MAX_PAGES && check.Truncated && check.Valid === undefined; page++) {
      check = await kms.send<ChainCheck>('VerifyAuditChain', { KeyId, Marker: check.NextMarker });
    }
    return check;
  }

  // Refreshes overlap (after each action, and on the button); only the latest may render.
  let latest = 0;

  async function refresh(): Promise<void> {
    const run = ++latest;
    const KeyId = keyArn();
    if (!KeyId) {
      chain.className = 'muted';
      delete chain.dataset.valid;
      chain.textContent = 'No key yet, so no audit trail.';
      rows.replaceChildren();
      return;
    }
    const [records, check] = await Promise.all([newestRecords(KeyId), verifyChain(KeyId)]);
    if (run !== latest) return;
    const verified = check.Chains[0];
    const broken = verified?.FirstInvalidRecord;
    chain.className = check.Valid === undefined ? 'muted' : check.Valid ? 'ok' : 'bad';
    chain.dataset.valid = String(check.Valid);
    chain.textContent =
      check.Valid === undefined
        ? `Hash chain longer than this page verifies: ${MAX_PAGES} pages checked, no break found so far.`
        : check.Valid
          ? `✓ Hash chain verified by the service: ${verified?.Records ?? 0} records, none missing or edited.`
          : `✗ Hash chain broken at record ${broken?.Sequence}: ${broken?.Reason}.`;
    rows.replaceChildren(
      ...records.map((record) =>
        el(
          'tr',
          {},
          el('td', {}, record.Sequence),
          el('td', {}, formatTime(record.Time)),
          el('td', {}, record.Operation),
          el('td', {}, userOf(record.Principal)),
          el('td', {}, record.KeyVersion ?? ''),
          el('td', { class: record.Outcome === 'Allowed' ? '' : 'bad' }, record.ErrorName ? `${record.Outcome} (${record.ErrorName})` : record.Outcome),
        ),
      ),
    );
  }

  function clear(): void {
    latest++;
    chain.className = 'muted';
    delete chain.dataset.valid;
    chain.textContent = '';
    rows.replaceChildren();
  }

  onClick(byId<HTMLButtonElement>('audit-refresh'), 'load the audit trail', refresh);
  return { refresh, clear };
}
