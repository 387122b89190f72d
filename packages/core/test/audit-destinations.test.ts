import { describe, expect, it } from 'vitest';
import {
  destinationsOfBatch,
  destinationsToAudit,
  ownerRefOfKey,
  ownersByDestination,
  remainingDestinations,
  type AuditedTraining,
} from '../src/domain/audit-findings.js';
import { destinationFor, destinationRef, type Destination, type DestinationStrategy } from '../src/domain/destination.js';
import { ownerRef } from '../src/domain/owner-ref.js';
import { alice, bob, ownerId } from './support/ids.js';
import { ACCOUNT, aPipeline } from './support/pipeline-builder.js';

// Which trainer destinations the batched audit lists, and when: each exactly once, however owners are batched.
const perOwner: DestinationStrategy = { kind: 'per-owner', account: ACCOUNT };
const shared: DestinationStrategy = { kind: 'shared', account: ACCOUNT, model: 'everyone' };
const carol = ownerId('carol');
const dave = ownerId('dave');
const home = (owner: typeof alice) => destinationFor(perOwner, owner);
const custom: Destination = { owner: ACCOUNT, name: 'custom-model' };
const sharedDestination: Destination = { owner: ACCOUNT, name: 'everyone' };
const pipelineAt = (destination: Destination, id: string) => aPipeline().ownedBy(alice).withId(id).at(destination).queued();
const naming = (destination: Destination | null, outputVersion: string | null = null): AuditedTraining => ({
  trainerTrainingId: 't',
  destination,
  webhook: null,
  status: 'succeeded',
  outputVersion,
  createdAt: null,
  pipelineId: null,
});
const refs = (destinations: readonly Destination[]) => destinations.map(destinationRef);
const nothingListed = { ownerRefs: new Set<string>(), destinations: new Set<string>() };

describe('destinationsToAudit', () => {
  it('lists each destination once, sorted by reference', () => {
    const found = destinationsToAudit(perOwner, [carol, alice, bob, alice], [pipelineAt(home(bob), 'p-1'), pipelineAt(custom, 'p-2')], []);
    expect(refs(found)).toEqual(refs([home(alice), home(bob), home(carol), custom]).sort());
  });

  it("takes a training's destination from its version when it names none, and ignores other accounts", () => {
    const version = `${destinationRef(home(dave))}:abc`;
    expect(destinationsToAudit(perOwner, [], [], [naming(null, version)])).toEqual([home(dave)]);
    expect(destinationsToAudit(perOwner, [], [], [naming(null, null), naming(null, 'not a version')])).toEqual([]);
    expect(destinationsToAudit(perOwner, [], [], [naming({ owner: 'other-account', name: 'x' })])).toEqual([]);
    // A destination stated wins over the version's.
    expect(destinationsToAudit(perOwner, [], [], [naming(custom, version)])).toEqual([custom]);
  });

  it('under the per-owner strategy there is no shared destination to list', () => {
    expect(destinationsToAudit(perOwner, [], [], [])).toEqual([]);
  });
});

describe('destinationsOfBatch (per owner)', () => {
  it("lists the batch's own destinations now; one of an owner not read yet, or nobody's, later; one already listed never again", () => {
    const pipelines = [
      pipelineAt(home(alice), 'p-1'),
      pipelineAt(home(bob), 'p-2'),
      pipelineAt(home(carol), 'p-3'),
      pipelineAt(custom, 'p-4'),
      pipelineAt(home(dave), 'p-5'),
    ];
    const listed = { ownerRefs: new Set([ownerRef(carol)]), destinations: new Set([destinationRef(home(dave))]) };
    const { now, later } = destinationsOfBatch(perOwner, [alice], pipelines, listed);
    expect(now).toEqual([home(alice)]);
    expect(refs(later)).toEqual(refs([home(bob), custom]).sort());
  });

  it("does not take a destination at another account, named like a home one, for that owner's", () => {
    const lookalike: Destination = { owner: 'other-account', name: home(alice).name };
    const { now, later } = destinationsOfBatch(perOwner, [alice], [pipelineAt(lookalike, 'p-1')], nothingListed);
    expect(now).toEqual([home(alice)]);
    expect(later).toEqual([lookalike]);
  });
});

describe('destinationsOfBatch (shared)', () => {
  it('keeps the shared destination for the end, and lists the rest the first time a batch names it', () => {
    const old = pipelineAt(home(bob), 'p-1');
    const { now, later } = destinationsOfBatch(shared, [alice], [old, pipelineAt(sharedDestination, 'p-2')], nothingListed);
    expect(now).toEqual([home(bob)]);
    expect(later).toEqual([sharedDestination]);
    const again = destinationsOfBatch(shared, [alice], [old], { ownerRefs: new Set(), destinations: new Set([destinationRef(home(bob))]) });
    expect(again).toEqual({ now: [], later: [sharedDestination] });
  });
});

describe('remainingDestinations', () => {
  it("lists what waited and what only trainings name, once, sorted, leaving out what was listed with its owner or by a batch", () => {
    const listed = { ownerRefs: new Set([ownerRef(carol)]), destinations: new Set([destinationRef(custom)]) };
    const trainings = [naming(home(dave)), naming(home(bob)), naming(home(carol)), naming(custom)];
    const found = remainingDestinations(perOwner, [home(bob), home(carol), custom], trainings, listed);
    expect(refs(found)).toEqual(refs([home(bob), home(dave)]).sort());
  });

  it('under the shared strategy, an owner listed does not stand for a destination named after them', () => {
    const listed = { ownerRefs: new Set([ownerRef(bob)]), destinations: new Set<string>() };
    expect(remainingDestinations(shared, [sharedDestination], [naming(home(bob))], listed)).toEqual(
      [sharedDestination, home(bob)].sort((a, b) => (destinationRef(a) < destinationRef(b) ? -1 : 1)),
    );
  });
});

describe('ownersByDestination', () => {
  it('maps each owner\'s destination to them per owner; shared, a destination is nobody\'s', () => {
    expect(ownersByDestination(perOwner, [alice, bob])).toEqual(
      new Map([
        [destinationRef(home(alice)), alice],
        [destinationRef(home(bob)), bob],
      ]),
    );
    expect(ownersByDestination(shared, [alice, bob]).size).toBe(0);
  });
});

describe('ownerRefOfKey', () => {
  it('reads the owner reference of a key under an owner prefix', () => {
    expect(ownerRefOfKey('uploads/ref-1/u-1')).toBe('ref-1');
    expect(ownerRefOfKey('staging/ref-2/u-1')).toBe('ref-2');
    expect(ownerRefOfKey('trainings/ref-3/p-1/training.zip')).toBe('ref-3');
  });

  it.each(['uploads/ref-1', 'uploads//u-1', 'uploads', '', 'other/ref-1/u-1', 'Uploads/ref-1/u-1'])('names nobody for %j', (key) => {
    expect(ownerRefOfKey(key)).toBeNull();
  });
});
