import { describe, expect, it } from 'vitest';
import { trainingSchema, type Training } from '../src/api/schemas.js';
import { evidenceLines, STATUS_WORDS, stepLines, stepsDone } from '../src/training/step-words.js';

const at = '2026-12-03T07:00:00.000Z';
function training(overrides: Partial<Training>): Training {
  return trainingSchema.parse({ id: 't1', status: 'queued', steps: [], failure: null, model: null, createdAt: at, updatedAt: at, ...overrides });
}

describe('step wording', () => {
  it('lists all five steps in order, the ones not reached as "not started yet"', () => {
    const lines = stepLines(training({ status: 'packaging', steps: [
      { name: 'verify_uploads', status: 'succeeded', startedAt: at, finishedAt: at, evidence: { uploads: [{ uploadId: 'u1', byteSize: 2048, sha256: 'a'.repeat(64), contentType: 'image/jpeg' }] } },
      { name: 'package', status: 'running', startedAt: at, finishedAt: null, evidence: null },
    ] }));
    expect(lines.map((l) => [l.title, l.state])).toEqual([
      ['Checking your photos', 'done'],
      ['Packing your photos for the trainer', 'in progress'],
      ['Checking the package', 'not started yet'],
      ['Handing the package to the trainer', 'not started yet'],
      ['Training your model', 'not started yet'],
    ]);
    expect(lines[0]?.evidence[0]).toBe('1 photo read back and matched:');
    expect(lines[0]?.evidence[1]).toContain('image/jpeg, 2 kB, SHA-256 aaaaaaaaaaaa');
  });

  it('uses the latest record of a step (a retried step shows its last state)', () => {
    const lines = stepLines(training({ status: 'verifying_uploads', steps: [
      { name: 'verify_uploads', status: 'failed', startedAt: at, finishedAt: at, evidence: null },
      { name: 'verify_uploads', status: 'running', startedAt: at, finishedAt: null, evidence: null },
    ] }));
    expect(lines[0]?.state).toBe('in progress');
  });

  it('tells each kind of evidence apart', () => {
    expect(evidenceLines({ sha256: 'b'.repeat(64), byteSize: 3_500_000, entries: 3 })).toEqual(['Archive of 3 photos, 3.5 MB, SHA-256 bbbbbbbbbbbb…']);
    expect(evidenceLines({ sha256: 'c'.repeat(64), entries: [{ name: 'a.jpg', sha256: 'd'.repeat(64), byteSize: 500 }] })[1]).toBe('a.jpg: 1 kB, SHA-256 dddddddddddd…');
    expect(evidenceLines({ trainerTrainingId: 'r8-1', destination: 'acct/model' })).toEqual(['Trainer job r8-1', 'Model destination acct/model']);
    expect(evidenceLines({ version: 'v1' })).toEqual(['Model version v1']);
    expect(evidenceLines(null)).toEqual([]);
  });

  it('counts finished steps for the progress bar', () => {
    expect(stepsDone(training({}))).toBe(0);
    expect(stepsDone(training({ status: 'succeeded', steps: (['verify_uploads', 'package', 'verify_package', 'submit', 'train'] as const).map((name) => ({ name, status: 'succeeded' as const, startedAt: at, finishedAt: at, evidence: null })) }))).toBe(5);
  });

  it('has words for every status the server can send', () => {
    for (const words of Object.values(STATUS_WORDS)) expect(words).toMatch(/^[A-Z][a-z ]+$/);
  });
});

describe('photo count', () => {
  it('counts against the minimum until it is reached, then plainly', async () => {
    const { photoCountText } = await import('../src/photos/photo-count.js');
    expect(photoCountText(7, { minPhotos: 10 })).toBe('7 of 10 photos');
    expect(photoCountText(0, { minPhotos: 3 })).toBe('0 of 3 photos');
    expect(photoCountText(10, { minPhotos: 10 })).toBe('10 photos');
    expect(photoCountText(1, { minPhotos: 1 })).toBe('1 photo');
  });
});
