// The JSON shapes of the service's answers, as the tests read them (packages/http/src/schemas.ts
// has the real ones): one copy for every test that parses an upload or a model.

export interface UploadJson {
  id: string;
  status: string;
  contentType: string;
  byteSize: number;
  sha256: string;
  sourceSha256: string;
  width: number;
  height: number;
  checks: { name: string; outcome: string; message: string }[];
  createdAt: string;
}

export interface ModelJson {
  id: string;
  trainingId: string;
  destination: string;
  version: string;
  status: string;
  trainingSet: { uploadId: string; sha256: string }[];
}
