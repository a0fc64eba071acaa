/**
 * The demo page: sign in as a demo user, then the key panel, the encrypt-before-upload form, the
 * shared uploads and the key's audit trail. Each panel is its own module; this one signs in and out
 * and keeps them in step.
 */
import { createAuditPanel } from './audit-panel';
import { clearDataKeyTransport } from './data-key-transport';
import { issueToken, sessionConfig, type DemoUser } from './demo-api';
import { byId, el } from './dom';
import { clearError, onClick, showError } from './feedback';
import { createKeyPanel } from './key-panel';
import { endSession, isSignedIn, session, startSession } from './session';
import { createUploadForm } from './upload-form';
import { createUploadsPanel } from './uploads-panel';
import { enableTestHooks } from './test-hooks';

const signInCard = byId('sign-in');
const workspace = byId('workspace');
const sessionBar = byId('session');

const audit = createAuditPanel(() => keys.keyArn());
/** After anything that touches the key: the trail has new records. */
const refreshAudit = () => void refreshQuietly(audit.refresh, 'load the audit trail');
const keys = createKeyPanel(refreshAudit);
const uploads = createUploadsPanel(refreshAudit);
const uploadForm = createUploadForm(
  () => keys.keyArn(),
  () => {
    void refreshQuietly(uploads.refresh, 'list the uploads');
    refreshAudit();
  },
);

async function refreshQuietly(refresh: () => Promise<void>, action: string): Promise<void> {
  try {
    await refresh();
  } catch (error) {
    showError(error, action);
  }
}

let expiryTimer: ReturnType<typeof setInterval> | undefined;

function showExpiry(): void {
  if (!isSignedIn()) return;
  const left = Math.round(session().expiresAt - Date.now() / 1000);
  byId('session-expiry').textContent = left > 0 ? `token expires in ${Math.floor(left / 60)}:${String(left % 60).padStart(2, '0')}` : 'token expired: sign in again';
}

async function signIn(user: DemoUser, account: string): Promise<void> {
  const issued = await issueToken(user.name);
  startSession({ user: issued.user, displayName: user.displayName, principal: issued.principal, account, token: issued.token, expiresAt: issued.expiresAt });
  byId('session-user').textContent = `Signed in as ${user.displayName}`;
  byId('session-user').title = issued.principal;
  signInCard.hidden = true;
  workspace.hidden = false;
  sessionBar.hidden = false;
  document.body.dataset.user = issued.user;
  showExpiry();
  clearInterval(expiryTimer);
  expiryTimer = setInterval(showExpiry, 1000);
  await keys.refresh();
  await Promise.all([uploads.refresh(), audit.refresh()]);
}

function signOut(): void {
  uploadForm.cancel();
  endSession();
  clearInterval(expiryTimer);
  uploads.clear();
  keys.clear();
  audit.clear();
  clearDataKeyTransport();
  clearError();
  delete document.body.dataset.user;
  workspace.hidden = true;
  sessionBar.hidden = true;
  signInCard.hidden = false;
}

async function start(): Promise<void> {
  const config = await sessionConfig();
  enableTestHooks(config);
  byId('sign-in-off').hidden = config.demoMode;
  byId('sign-in-users').replaceChildren(
    ...config.users.map((user) => {
      const button = el('button', { type: 'button', 'data-testid': `sign-in-${user.name}` }, `Sign in as ${user.displayName}`);
      onClick(button, `sign in as ${user.displayName}`, () => signIn(user, config.account));
      return button;
    }),
  );
  document.body.dataset.ready = 'true';
}

byId<HTMLButtonElement>('sign-out').addEventListener('click', signOut);
start().catch((error) => showError(error, 'load the demo settings'));
