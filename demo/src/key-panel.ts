/**
 * "Your key": the signed-in user's key under `alias/demo-<user>`, created with a policy that
 * names only that user, with its versions and lifecycle buttons.
 */
import { isKmsServiceError, type KeyMetadata } from '../../sdk/index';
import { byId, el, formatTime } from './dom';
import { onClick } from './feedback';
import { kms } from './kms';
import { session } from './session';

interface Rotation {
  RotationDate: number;
  RotationType: string;
}

export interface KeyPanel {
  /** Reloads the key's state from the service. */
  refresh(): Promise<void>;
  /** The key's ARN, or undefined when the user has none yet. */
  keyArn(): string | undefined;
  /** Forgets the key (on sign-out), including any refresh still under way. */
  clear(): void;
}

export const aliasOf = (user: string) => `alias/demo-${user}`;

/** Only the owner, for everything: no account-root statement, so other users are denied by default. */
function ownerOnlyPolicy(principal: string): string {
  return JSON.stringify({
    Version: '2012-10-17',
    Id: 'edgekms-demo-owner-only',
    Statement: [{ Sid: 'OwnerOnly', Effect: 'Allow', Principal: { AWS: principal }, Action: 'kms:*', Resource: '*' }],
  });
}

async function describe(alias: string): Promise<KeyMetadata | undefined> {
  try {
    return (await kms.describeKey({ KeyId: alias })).KeyMetadata;
  } catch (error) {
    if (isKmsServiceError(error, 'NotFoundException')) return undefined;
    throw error;
  }
}

async function rotations(keyId: string): Promise<Rotation[]> {
  const found: Rotation[] = [];
  let marker: string | undefined;
  do {
    const page = await kms.send<{ Rotations: Rotation[]; NextMarker?: string; Truncated: boolean }>('ListKeyRotations', {
      KeyId: keyId,
      ...(marker && { Marker: marker }),
    });
    found.push(...page.Rotations);
    marker = page.Truncated ? page.NextMarker : undefined;
  } while (marker);
  return found;
}

export function createKeyPanel(onChange: () => void): KeyPanel {
  const details = byId('key-details');
  const versions = byId('key-versions');
  const buttons = {
    create: byId<HTMLButtonElement>('key-create'),
    rotate: byId<HTMLButtonElement>('key-rotate'),
    toggle: byId<HTMLButtonElement>('key-toggle'),
    schedule: byId<HTMLButtonElement>('key-delete'),
    cancel: byId<HTMLButtonElement>('key-cancel-delete'),
  };
  let metadata: KeyMetadata | undefined;

  function render(list: Rotation[]): void {
    byId('key-alias').textContent = aliasOf(session().user);
    const state = metadata?.KeyState;
    details.replaceChildren(
      ...(metadata
        ? [
            el('dt', {}, 'Key'), el('dd', {}, el('code', { 'data-testid': 'key-arn' }, metadata.Arn)),
            el('dt', {}, 'State'), el('dd', { 'data-testid': 'key-state' }, String(state)),
            el('dt', {}, 'Created'), el('dd', {}, formatTime(metadata.CreationDate)),
            ...(metadata.DeletionDate ? [el('dt', {}, 'Deleted on'), el('dd', {}, formatTime(metadata.DeletionDate as number))] : []),
          ]
        : [el('dt', {}, 'Key'), el('dd', { 'data-testid': 'key-state' }, 'None yet: create one to upload.')]),
    );
    versions.replaceChildren(
      ...(metadata
        ? [
            el('tr', {}, el('td', {}, 1), el('td', {}, formatTime(metadata.CreationDate)), el('td', {}, 'created')),
            ...[...list]
              .sort((a, b) => a.RotationDate - b.RotationDate)
              .map((rotation, index) =>
                el('tr', {}, el('td', {}, index + 2), el('td', {}, formatTime(rotation.RotationDate)), el('td', {}, rotation.RotationType === 'ON_DEMAND' ? 'rotated on demand' : 'rotated automatically')),
              ),
          ]
        : []),
    );
    buttons.create.textContent = metadata ? 'Create a new key' : 'Create key';
    buttons.rotate.disabled = state !== 'Enabled';
    buttons.toggle.disabled = state !== 'Enabled' && state !== 'Disabled';
    buttons.toggle.textContent = state === 'Disabled' ? 'Enable' : 'Disable';
    buttons.schedule.hidden = !metadata || state === 'PendingDeletion';
    buttons.cancel.hidden = state !== 'PendingDeletion';
  }

  // Only the latest refresh may set the key: a late answer for the previous user must not
  // become the key the next user's uploads are encrypted under.
  let latest = 0;

  async function refresh(): Promise<void> {
    const run = ++latest;
    const found = await describe(aliasOf(session().user));
    const list = found ? await rotations(found.Arn) : [];
    if (run !== latest) return;
    metadata = found;
    render(list);
  }

  function clear(): void {
    latest++;
    metadata = undefined;
    details.replaceChildren();
    versions.replaceChildren();
  }

  async function act(run: (keyId: string) => Promise<unknown>): Promise<void> {
    if (metadata) await run(metadata.Arn);
    await refresh();
    onChange();
  }

  onClick(buttons.create, 'create a key', async () => {
    const { user, principal } = session();
    const created = await kms.send<{ KeyMetadata: KeyMetadata }>('CreateKey', {
      Description: `EdgeKMS demo key of ${user}`,
      Policy: ownerOnlyPolicy(principal),
      Tags: [{ TagKey: 'demo-user', TagValue: user }],
    });
    // A new key takes the alias over; uploads made under the old key still name the old key.
    const alias = { AliasName: aliasOf(user), TargetKeyId: created.KeyMetadata.KeyId };
    await kms.send(metadata ? 'UpdateAlias' : 'CreateAlias', alias);
    await refresh();
    onChange();
  });
  onClick(buttons.rotate, 'rotate the key', () => act((KeyId) => kms.send('RotateKeyOnDemand', { KeyId })));
  onClick(buttons.toggle, 'change whether the key is enabled', () =>
    act((KeyId) => kms.send(metadata?.KeyState === 'Disabled' ? 'EnableKey' : 'DisableKey', { KeyId })),
  );
  onClick(buttons.schedule, 'schedule the key\'s deletion', () => act((KeyId) => kms.send('ScheduleKeyDeletion', { KeyId, PendingWindowInDays: 7 })));
  // As in AWS, a key whose deletion is cancelled stays disabled until its owner enables it.
  onClick(buttons.cancel, 'cancel the key\'s deletion', () => act((KeyId) => kms.send('CancelKeyDeletion', { KeyId })));

  return {
    refresh,
    clear,
    keyArn: () => metadata?.Arn,
  };
}
