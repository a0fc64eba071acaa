/**
 * The encryption context of an upload. It is authenticated with every message and checked on
 * decrypt, so the storage cannot hand one user's file over as another's, move a file to another
 * upload, or swap the fields message and the file message.
 */
import type { EncryptionContext } from '../../sdk/index';

export const FORM_NAME = 'edgekms-demo/upload-form/v1';

export type UploadPart = 'fields' | 'file';

export function uploadContext(user: string, uploadId: string, part: UploadPart): EncryptionContext {
  return { 'demo:user': user, 'demo:form': FORM_NAME, 'demo:upload': uploadId, 'demo:part': part };
}

/** The demo user a principal ARN names (`…:federated-user/<name>`), or the ARN itself. */
export function userOf(principalArn: string): string {
  return /:federated-user\/(.+)$/.exec(principalArn)?.[1] ?? principalArn;
}
