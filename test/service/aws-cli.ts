import { execFile } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { inject } from 'vitest';

/**
 * The AWS CLI against the real Worker, configured only with endpoint, region
 * and static credentials (the administrator's access key), in a home of its
 * own: no developer's ~/.aws profile, no instance metadata lookups, no pager.
 */
export const run = promisify(execFile);

export function awsCliFor(prefix: string) {
  const endpoint = inject('serviceUrl');
  const key = inject('accessKeys').admin;
  const home = mkdtempSync(join(tmpdir(), prefix));
  const env = {
    ...process.env,
    HOME: home,
    AWS_CONFIG_FILE: join(home, 'config'),
    AWS_SHARED_CREDENTIALS_FILE: join(home, 'credentials'),
    AWS_ACCESS_KEY_ID: key.accessKeyId,
    AWS_SECRET_ACCESS_KEY: key.secretAccessKey,
    AWS_DEFAULT_REGION: 'us-east-1',
    AWS_REGION: 'us-east-1',
    AWS_EC2_METADATA_DISABLED: 'true',
    AWS_PAGER: '',
    AWS_ENDPOINT_URL_KMS: endpoint,
  };
  /** `aws kms <args>`, its JSON answer parsed; a refusal rejects with the CLI's stderr (which names the error). */
  async function awsKms(...args: string[]): Promise<any> {
    const { stdout } = await run('aws', ['kms', ...args, '--endpoint-url', endpoint, '--output', 'json'], { env });
    return stdout.trim() ? JSON.parse(stdout) : {};
  }
  return { home, env, awsKms };
}
