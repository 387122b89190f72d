// Photos and bytes for tests: real images made by sharp, deterministic noise, streams, hashes.
export { collect, streamOf } from './byte-streams.js';
export { imageDifference } from './image-difference.js';
export { withJpegComment } from './jpeg-comment.js';
export { noiseBytes } from './noise-bytes.js';
export { photo, texturedPhoto, type PhotoFormat, type PhotoOptions } from './photo.js';
export { sha256Of } from './sha256.js';
