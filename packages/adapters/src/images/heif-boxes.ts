/** One ISO-BMFF box: its four-letter type and where its payload lies in the file. */
interface Box {
  readonly type: string;
  readonly start: number;
  readonly end: number;
}

function* boxes(bytes: Uint8Array, start: number, end: number): Generator<Box> {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let offset = start;
  while (offset + 8 <= end) {
    let size = view.getUint32(offset);
    const type = String.fromCharCode(...bytes.subarray(offset + 4, offset + 8));
    let header = 8;
    if (size === 1) {
      if (offset + 16 > end) return;
      size = Number(view.getBigUint64(offset + 8));
      header = 16;
    } else if (size === 0) {
      size = end - offset;
    }
    if (size < header || offset + size > end) return;
    yield { type, start: offset + header, end: offset + size };
    offset += size;
  }
}

function child(bytes: Uint8Array, parent: { start: number; end: number }, type: string): Box | null {
  for (const box of boxes(bytes, parent.start, parent.end)) if (box.type === type) return box;
  return null;
}

/**
 * Whether a HEIF file declares a rotation or mirror of its image (`irot`/`imir` item
 * properties in meta/iprp/ipco). libheif applies those while decoding; an EXIF orientation in
 * the same file describes the same turn, so it must then not be applied a second time.
 */
export function hasHeifTransform(bytes: Uint8Array): boolean {
  const meta = child(bytes, { start: 0, end: bytes.byteLength }, 'meta');
  // `meta` is a full box: version and flags come before its children.
  const iprp = meta ? child(bytes, { start: meta.start + 4, end: meta.end }, 'iprp') : null;
  const ipco = iprp ? child(bytes, iprp, 'ipco') : null;
  if (!ipco) return false;
  for (const box of boxes(bytes, ipco.start, ipco.end)) if (box.type === 'irot' || box.type === 'imir') return true;
  return false;
}
