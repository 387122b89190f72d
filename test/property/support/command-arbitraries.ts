import fc from 'fast-check';
import { AdvancePipeline, type Fault } from './advance-command.js';
import type { ImagePool } from './pool.js';
import { TamperStorage, TAMPERINGS } from './tamper-command.js';
import { CancelTraining, RestartTraining, StartTraining } from './training-commands.js';
import { FinishTraining, ForgeReport, FORGERIES, RedeliverReport, type Delivery } from './trainer-commands.js';
import { DeleteUpload, UploadBadFile, UploadPhoto } from './upload-commands.js';
import type { WorldCommand } from './world-command.js';

const faultArb: fc.Arbitrary<Fault> = fc.oneof(
  fc.record({ target: fc.constant('store' as const), op: fc.constantFrom('inspect', 'read', 'delete', 'sign' as const), times: fc.integer({ min: 1, max: 3 }) }),
  fc.record({ target: fc.constant('packager' as const), op: fc.constantFrom('build', 'readBack' as const), times: fc.integer({ min: 1, max: 3 }) }),
  fc.record({ target: fc.constant('trainer' as const), op: fc.constantFrom('submit', 'get', 'find', 'cancel' as const), times: fc.integer({ min: 1, max: 3 }) }),
);

/** Index into a list that exists only at run time; -1 means the latest entry. */
const indexArb = fc.oneof({ arbitrary: fc.constant(-1), weight: 3 }, { arbitrary: fc.nat({ max: 4 }), weight: 2 });

export interface CommandOptions {
  readonly pool: ImagePool;
  /** Every owner in the run. */
  readonly owners: readonly string[];
  /** The owners who upload photos; the others never do (the incident property). */
  readonly uploaders: readonly string[];
}

/** Every operation, weighted so that whole trainings happen within a few dozen commands. */
export function commandArb({ pool, owners, uploaders }: CommandOptions): fc.Arbitrary<WorldCommand> {
  const owner = fc.constantFrom(...owners);
  const uploader = fc.constantFrom(...uploaders);
  const weighted = (weight: number, arbitrary: fc.Arbitrary<WorldCommand>) => ({ weight, arbitrary });
  return fc.oneof(
    weighted(6, fc.tuple(uploader, fc.nat({ max: pool.photos.length - 1 })).map(([o, p]) => new UploadPhoto(o, p))),
    weighted(1, fc.tuple(owner, fc.nat({ max: pool.bad.length - 1 })).map(([o, f]) => new UploadBadFile(o, f))),
    weighted(1, fc.tuple(owner, uploader, indexArb).map(([a, t, k]) => new DeleteUpload(a, t, k))),
    weighted(4, fc.tuple(owner, fc.option(fc.constantFrom('k1', 'k2'), { freq: 2 })).map(([o, key]) => new StartTraining(o, key))),
    weighted(1, fc.tuple(owner, owner, indexArb).map(([a, t, k]) => new CancelTraining(a, t, k))),
    weighted(2, fc.tuple(owner, owner, indexArb).map(([a, t, k]) => new RestartTraining(a, t, k))),
    weighted(
      14,
      fc
        .tuple(
          fc.option(owner, { freq: 2 }),
          indexArb,
          fc.oneof({ arbitrary: fc.constant([]), weight: 4 }, { arbitrary: fc.array(faultArb, { minLength: 1, maxLength: 2 }), weight: 1 }),
          fc.oneof({ arbitrary: fc.constant(0), weight: 3 }, { arbitrary: fc.integer({ min: 1, max: 90_000 }), weight: 1 }),
        )
        .map(([o, k, faults, ms]) => new AdvancePipeline(o, k, faults, ms)),
    ),
    weighted(
      4,
      fc
        .tuple(fc.nat({ max: 3 }), fc.constantFrom('succeeded', 'succeeded', 'failed', 'canceled' as const), fc.constantFrom<Delivery>('webhook', 'webhook twice', 'lost', 'late, after cancel', 'late, after cancel and restart'))
        .map(([k, outcome, delivery]) => new FinishTraining(k, outcome, delivery)),
    ),
    weighted(1, fc.nat({ max: 5 }).map((k) => new RedeliverReport(k))),
    weighted(2, fc.tuple(owner, fc.constantFrom(...FORGERIES), fc.nat({ max: 3 }), fc.nat({ max: 999 })).map(([o, kind, k, seed]) => new ForgeReport(o, kind, k, seed))),
    weighted(1, fc.tuple(fc.constantFrom(...TAMPERINGS), owner, indexArb, fc.nat({ max: 8 })).map(([kind, o, k, s]) => new TamperStorage(kind, o, k, s))),
  );
}
