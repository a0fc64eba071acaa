/**
 * A signed head of an audit chain: the service's statement that the chain of `chainId` (a key id)
 * in `account` and `region` has, at `sequence`, the record whose hash is `hash`, made at `time`
 * (epoch ms) with the service signing key `signingKeyId`. Each record's hash covers the one
 * before it, so the statement commits to every record up to `sequence`.
 *
 * The signed bytes are a JSON array that starts with a label naming the format, so a signature
 * over a head can never be taken for a signature over anything else the key might sign later.
 * This module is the one definition of those bytes: the key object signs them and the SDK
 * verifies them.
 */
export interface AuditHead {
  signingKeyId: string;
  account: string;
  region: string;
  chainId: string;
  sequence: number;
  hash: string;
  time: number;
}

export const HEAD_STATEMENT_LABEL = 'edgekms audit head v1';

export function headStatement(head: AuditHead): Uint8Array<ArrayBuffer> {
  const text = JSON.stringify([HEAD_STATEMENT_LABEL, head.signingKeyId, head.account, head.region, head.chainId, head.sequence, head.hash, head.time]);
  return new Uint8Array(new TextEncoder().encode(text));
}

/** A signed head as the API writes it: the head's fields, the time in seconds, and the Ed25519 signature (base64 on the wire). */
export interface WireSignedHead {
  SigningKeyId: string;
  Account: string;
  Region: string;
  ChainId: string;
  Sequence: number;
  Hash: string;
  Time: number;
  Signature: Uint8Array | string;
}

export function toWireHead(head: AuditHead, signature: Uint8Array): WireSignedHead {
  return {
    SigningKeyId: head.signingKeyId,
    Account: head.account,
    Region: head.region,
    ChainId: head.chainId,
    Sequence: head.sequence,
    Hash: head.hash,
    Time: head.time / 1000,
    Signature: signature,
  };
}

export function fromWireHead(wire: WireSignedHead): AuditHead {
  return {
    signingKeyId: wire.SigningKeyId,
    account: wire.Account,
    region: wire.Region,
    chainId: wire.ChainId,
    sequence: wire.Sequence,
    hash: wire.Hash,
    time: Math.round(wire.Time * 1000),
  };
}
