import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { AdvancePipeline } from './support/advance-command.js';
import { makeImagePool, type ImagePool } from './support/pool.js';
import { images } from './support/run-property.js';
import { TamperStorage } from './support/tamper-command.js';
import { ForgeReport } from './support/trainer-commands.js';
import { StartTraining } from './support/training-commands.js';
import { UploadPhoto } from './support/upload-commands.js';
import type { WorldCommand } from './support/world-command.js';
import { emptyCoverage, setupWorld } from './support/world.js';

// Counterexamples the model-based property once found in the core, replayed as fixed command
// lists so they stay fixed: each must now run with every invariant holding.

let pool: ImagePool;
beforeAll(async () => {
  pool = await makeImagePool();
});

const replay = (commands: readonly WorldCommand[]) =>
  fc.asyncModelRun(() => setupWorld(pool, ['alice', 'carol'], emptyCoverage(), images), commands);

const stepsOfCarol = (n: number) => Array.from({ length: n }, () => new AdvancePipeline('carol', -1, [], 0));

describe('counterexamples the model-based property found, now fixed', () => {
  it('I3: a package changed after its verification, before the trainer downloads it, is never trained on', async () => {
    const commands = [
      new UploadPhoto('carol', 1),
      new UploadPhoto('carol', 0),
      new StartTraining('carol', null),
      ...stepsOfCarol(4), // queued -> verifying_uploads -> packaging -> verifying_package -> submitting
      new TamperStorage('flip zip byte', 'carol', -1, 0),
      ...stepsOfCarol(1), // submit: the signed URL serves whatever the key holds now
    ];
    await expect(replay(commands)).resolves.toBeUndefined();
  });

  it('I5: a webhook with the real training id and destination but a made-up version never becomes the model', async () => {
    const commands = [
      new UploadPhoto('carol', 1),
      new UploadPhoto('carol', 0),
      new StartTraining('carol', null),
      ...stepsOfCarol(5), // ... -> submitting -> training; the trainer has not finished
      new ForgeReport('alice', 'bogus version', 0, 1),
    ];
    await expect(replay(commands)).resolves.toBeUndefined();
  });
});
