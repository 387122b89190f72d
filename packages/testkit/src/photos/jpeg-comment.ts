/** The JPEG with a comment segment after its start marker: other bytes, the same picture. */
export function withJpegComment(jpeg: Uint8Array, text: string): Uint8Array {
  const comment = new TextEncoder().encode(text);
  const length = comment.byteLength + 2;
  return Uint8Array.from([...jpeg.subarray(0, 2), 0xff, 0xfe, length >> 8, length & 0xff, ...comment, ...jpeg.subarray(2)]);
}
