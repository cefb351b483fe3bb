/** A 32-bit word as 8 lowercase hex digits. */
export function wordHex(word: number): string {
  return word.toString(16).padStart(8, '0');
}

/** A hex digit's value: '0'-'9' → 0-9, 'a'-'f' and 'A'-'F' → 10-15 (validated hex only). */
export function nibble(code: number): number {
  return code <= 57 ? code - 48 : (code | 32) - 87;
}
