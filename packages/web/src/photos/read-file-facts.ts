import { SNIFF_BYTES, sniffImageType, type FileFacts } from './file-check.js';

/** Reads what judgeFile needs from a picked file: its first bytes and, where the browser decodes it, its size in pixels. */
export async function readFileFacts(file: File): Promise<FileFacts> {
  const head = new Uint8Array(await file.slice(0, SNIFF_BYTES).arrayBuffer());
  const type = sniffImageType(head);
  let dimensions: FileFacts['dimensions'] = null;
  if (type !== null && type !== 'image/heic') {
    try {
      // imageOrientation 'from-image' gives the upright size, as the server measures it.
      const bitmap = await createImageBitmap(file, { imageOrientation: 'from-image' });
      dimensions = { width: bitmap.width, height: bitmap.height };
      bitmap.close();
    } catch {
      dimensions = null; // undecodable here: the server has the last word
    }
  }
  return { size: file.size, type, dimensions };
}
