/**
 * Shows how the last data key reached the page: wrapped to this tab's non-extractable ECDH key
 * (the answer had CiphertextForRecipient and no Plaintext, which the SDK then opened here), or,
 * were the recipient off, as a Plaintext in the response body.
 */
import { byId } from './dom';

export type DataKeyOperation = 'GenerateDataKey' | 'Decrypt';

export function showDataKeyTransport(operation: DataKeyOperation, answer: { Plaintext?: unknown; CiphertextForRecipient?: unknown }): void {
  const line = byId('data-key-transport');
  const wrapped = answer.Plaintext === undefined && answer.CiphertextForRecipient !== undefined;
  line.dataset.wrapped = String(wrapped);
  line.dataset.operation = operation;
  line.textContent = wrapped
    ? `Last data key (${operation}): arrived wrapped to this tab's key (a JWE, ECDH-ES+A256KW); the response had no Plaintext.`
    : `Last data key (${operation}): arrived as a Plaintext in the response.`;
}

/** On sign-out: the next user has received no data key yet. */
export function clearDataKeyTransport(): void {
  const line = byId('data-key-transport');
  line.textContent = '';
  delete line.dataset.wrapped;
  delete line.dataset.operation;
}
