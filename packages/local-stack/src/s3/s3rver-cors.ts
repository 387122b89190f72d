import type { IncomingMessage } from 'node:http';

/**
 * The bucket's CORS rules, in S3's own XML (s3rver applies them as S3 does): pages of these
 * origins may PUT a photo straight to a presigned URL with its Content-Type, and read the ETag.
 */
export function corsConfiguration(origins: readonly string[]): string {
  const allowed = origins.map((origin) => `<AllowedOrigin>${new URL(origin).origin}</AllowedOrigin>`).join('');
  return (
    '<CORSConfiguration><CORSRule>' +
    `${allowed}<AllowedMethod>PUT</AllowedMethod><AllowedHeader>content-type</AllowedHeader>` +
    '<ExposeHeader>ETag</ExposeHeader><MaxAgeSeconds>600</MaxAgeSeconds>' +
    '</CORSRule></CORSConfiguration>'
  );
}

/**
 * A browser's CORS preflight: it never carries credentials (the browser sends it on its own), so
 * the signature gate lets it through; it reads and writes nothing, and s3rver judges it against
 * the bucket's rules. The PUT that follows is signed like any other request.
 */
export function isPreflight(request: IncomingMessage): boolean {
  return request.method === 'OPTIONS' && typeof request.headers.origin === 'string' && typeof request.headers['access-control-request-method'] === 'string';
}
