// workerd implements the TC39 Uint8Array base64 methods; TypeScript 5.9's lib does not declare them yet.
interface Uint8ArrayBase64Options {
  alphabet?: 'base64' | 'base64url';
  lastChunkHandling?: 'loose' | 'strict' | 'stop-before-partial';
}

interface Uint8Array {
  toBase64(options?: { alphabet?: 'base64' | 'base64url'; omitPadding?: boolean }): string;
}

interface Uint8ArrayConstructor {
  fromBase64(text: string, options?: Uint8ArrayBase64Options): Uint8Array;
}
