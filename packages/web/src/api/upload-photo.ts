import { ApiError, errorFromAnswer, unexpectedAnswer } from './api-error.js';
import { uploadAnswerSchema, uploadListSchema, uploadSlotSchema, type PendingUpload, type Upload } from './schemas.js';

/**
 * Stored, or received and being checked (the server judges photos after answering 202; see
 * `waitForCheck`). `duplicate`: the owner already had these exact bytes (200).
 */
export type UploadOutcome =
  | { readonly kind: 'stored'; readonly upload: Upload; readonly duplicate: boolean }
  | { readonly kind: 'checking'; readonly pending: PendingUpload; readonly duplicate: boolean };

interface XhrAnswer {
  readonly status: number;
  readonly text: string;
}

/** XMLHttpRequest, because fetch() reports no upload progress. `onProgress` gets 0..1. */
function sendWithProgress(
  method: string,
  url: string,
  headers: Record<string, string>,
  body: XMLHttpRequestBodyInit,
  onProgress: (fraction: number) => void,
): Promise<XhrAnswer> {
  return new Promise((resolve) => {
    const xhr = new XMLHttpRequest();
    xhr.open(method, url);
    for (const [name, value] of Object.entries(headers)) xhr.setRequestHeader(name, value);
    xhr.upload.addEventListener('progress', (event) => {
      if (event.lengthComputable && event.total > 0) onProgress(event.loaded / event.total);
    });
    xhr.addEventListener('load', () => resolve({ status: xhr.status, text: xhr.responseText }));
    // Network failures have status 0: errorFromAnswer words them.
    xhr.addEventListener('error', () => resolve({ status: 0, text: '' }));
    xhr.addEventListener('abort', () => resolve({ status: 0, text: '' }));
    xhr.send(body);
  });
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return null;
  }
}

function uploadOutcome(answer: XhrAnswer): UploadOutcome {
  if (answer.status !== 200 && answer.status !== 201 && answer.status !== 202) throw errorFromAnswer(answer.status, answer.text);
  const parsed = uploadAnswerSchema.safeParse(parseJson(answer.text));
  if (!parsed.success) throw unexpectedAnswer('the upload');
  const duplicate = answer.status === 200;
  return 'upload' in parsed.data ? { kind: 'stored', upload: parsed.data.upload, duplicate } : { kind: 'checking', pending: parsed.data.pending, duplicate };
}

const CHECK_POLL_MS = 700;
/** Past this, the page stops waiting; the photo still appears with the others once it passes. */
const CHECK_WAIT_MS = 5 * 60_000;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

interface ListAnswer {
  readonly status: number;
  readonly text: string;
  readonly retryAfterMs: number;
}

/**
 * One `GET /v1/uploads` shared by every photo waiting for its check: a list younger than the poll
 * interval is reused, so ten photos checking cost one request per interval, not ten (the service
 * rate-limits each address).
 */
let shared: { readonly token: string; readonly at: number; readonly answer: Promise<ListAnswer> } | null = null;
function listOnce(token: string, notBefore: number): Promise<ListAnswer> {
  const now = Date.now();
  // Only a list asked for after this photo was answered can say it is gone.
  if (shared && shared.token === token && shared.at >= notBefore && now - shared.at < CHECK_POLL_MS) return shared.answer;
  const answer = fetch('/v1/uploads', { headers: { authorization: `Bearer ${token}`, accept: 'application/json' } }).then(
    async (response) => ({
      status: response.status,
      text: await response.text(),
      retryAfterMs: 1000 * (Number(response.headers.get('retry-after')) || 2),
    }),
    () => ({ status: 0, text: '', retryAfterMs: 0 }),
  );
  shared = { token, at: now, answer };
  return answer;
}

/**
 * Waits until the server has judged a photo it answered `checking`: resolves with the stored
 * upload, or throws the refusal as an ApiError (422, the server's words for why). A 429 is waited
 * out (its Retry-After), not reported: the photo is still being checked.
 */
export async function waitForCheck(token: string, id: string): Promise<Upload> {
  const since = Date.now();
  const deadline = since + CHECK_WAIT_MS;
  while (Date.now() < deadline) {
    const answer = await listOnce(token, since);
    if (answer.status === 429) {
      await sleep(answer.retryAfterMs);
      continue;
    }
    if (answer.status < 200 || answer.status >= 300) throw errorFromAnswer(answer.status, answer.text);
    const list = uploadListSchema.safeParse(parseJson(answer.text));
    if (!list.success) throw unexpectedAnswer('your photos');
    const stored = list.data.uploads.find((upload) => upload.id === id);
    if (stored) return stored;
    const pending = list.data.pending.find((photo) => photo.id === id);
    if (pending?.refusal) throw new ApiError({ status: 422, code: pending.refusal.code, detail: pending.refusal.message });
    // Gone from both lists: dismissed or erased meanwhile, from another tab.
    if (!pending) throw new ApiError({ status: 404, code: 'upload.not_found', detail: 'This photo is no longer here. Please upload it again if you want it.' });
    await sleep(CHECK_POLL_MS);
  }
  throw new ApiError({ status: 0, code: 'upload.still_checking', detail: 'This photo is taking long to check. It will appear with your photos once it passes.' });
}

/** One photo through `POST /v1/uploads` (multipart field "file"). */
async function uploadMultipart(token: string, file: File, onProgress: (fraction: number) => void): Promise<UploadOutcome> {
  const form = new FormData();
  form.append('file', file, file.name);
  const answer = await sendWithProgress('POST', '/v1/uploads', { authorization: `Bearer ${token}`, accept: 'application/json' }, form, onProgress);
  return uploadOutcome(answer);
}

/** A large photo straight to storage: ask for a signed URL, PUT the bytes there, then complete. */
async function uploadPresigned(token: string, file: File, onProgress: (fraction: number) => void): Promise<UploadOutcome> {
  const auth = { authorization: `Bearer ${token}`, accept: 'application/json' };
  let slotAnswer: Response;
  try {
    slotAnswer = await fetch('/v1/uploads/presigned', {
      method: 'POST',
      headers: { ...auth, 'content-type': 'application/json' },
      body: JSON.stringify({ byteSize: file.size }),
    });
  } catch {
    throw errorFromAnswer(0, '');
  }
  const slotText = await slotAnswer.text();
  if (slotAnswer.status !== 201) throw errorFromAnswer(slotAnswer.status, slotText);
  const slot = uploadSlotSchema.safeParse(parseJson(slotText));
  if (!slot.success) throw unexpectedAnswer('the upload');
  // The PUT goes to storage, not to our API: its errors are storage's XML, so they get our words.
  const put = await sendWithProgress('PUT', slot.data.upload.url, {}, file, onProgress);
  // Storage unreachable from this page (no CORS rule on the bucket, or a blocked origin): the
  // API takes any photo up to its limit too, so send it that way (the unused slot expires).
  if (put.status === 0 && file.size <= slot.data.upload.maxBytes) return uploadMultipart(token, file, onProgress);
  if (put.status < 200 || put.status >= 300) {
    throw new ApiError({
      status: put.status,
      code: 'upload.storage_failed',
      detail: 'Sending the photo to storage failed. Please try again.',
    });
  }
  let completed: Response;
  try {
    completed = await fetch(`/v1/uploads/${encodeURIComponent(slot.data.upload.id)}/complete`, { method: 'POST', headers: auth });
  } catch {
    throw errorFromAnswer(0, '');
  }
  return uploadOutcome({ status: completed.status, text: await completed.text() });
}

/** Uploads one photo the way its size calls for; resolves with the upload stored or checking, or throws an ApiError. */
export function uploadPhoto(
  token: string,
  file: File,
  presignedThresholdBytes: number,
  onProgress: (fraction: number) => void,
): Promise<UploadOutcome> {
  return file.size > presignedThresholdBytes ? uploadPresigned(token, file, onProgress) : uploadMultipart(token, file, onProgress);
}
