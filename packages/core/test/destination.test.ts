import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  contradicts,
  destinationFor,
  destinationRef,
  parseVersion,
  sameDestination,
  type Destination,
  type DestinationStrategy,
} from '../src/domain/destination.js';
import { trusted, type OwnerId } from '../src/domain/ids.js';
import { ownerRef } from '../src/domain/owner-ref.js';
import { alice, bob, ownerId } from './support/ids.js';

const perOwner: DestinationStrategy = { kind: 'per-owner', account: 'acme' };
const shared: DestinationStrategy = { kind: 'shared', account: 'acme', model: 'selfie-lora' };

// Replicate model names: lowercase letters, digits, dashes, underscores and periods; they start
// with a letter or digit and are at most 100 characters long.
const REPLICATE_MODEL_NAME = /^[a-z0-9][a-z0-9._-]{0,99}$/;

const nameFor = (raw: string): string => destinationFor(perOwner, trusted<OwnerId>(raw)).name;

// Any owner id the system accepts (ids.ts ID_PATTERN), up to its full length.
const ownerIdArb = fc.stringMatching(/^[A-Za-z0-9][A-Za-z0-9._:@|-]{0,127}$/);

describe('per-owner destination (I4)', () => {
  it('is a valid Replicate model name on the configured account, for any owner id', () => {
    fc.assert(
      fc.property(ownerIdArb, (raw) => {
        const destination = destinationFor(perOwner, ownerId(raw));
        expect(destination.owner).toBe('acme');
        expect(destination.name).toMatch(REPLICATE_MODEL_NAME);
      }),
    );
  });

  it('is stable across trainings of the same owner', () => {
    fc.assert(
      fc.property(ownerIdArb, (raw) => {
        expect(destinationFor(perOwner, ownerId(raw))).toEqual(destinationFor(perOwner, ownerId(raw)));
        expect(ownerRef(ownerId(raw))).toBe(ownerRef(ownerId(raw)));
      }),
    );
  });

  it('differs between any two owners', () => {
    fc.assert(
      fc.property(fc.string(), fc.string(), (a, b) => {
        fc.pre(a !== b);
        expect(nameFor(a)).not.toBe(nameFor(b));
      }),
    );
  });

  it('differs between owners whose ids share a long prefix (the incident: 8-character prefixes)', () => {
    fc.assert(
      fc.property(fc.string({ minLength: 8, maxLength: 120 }), fc.string({ maxLength: 8 }), fc.string({ maxLength: 8 }), (prefix, a, b) => {
        fc.pre(a !== b);
        expect(nameFor(prefix + a)).not.toBe(nameFor(prefix + b));
      }),
    );
    expect(nameFor('user_1a2b3c4d-0001')).not.toBe(nameFor('user_1a2b3c4d-0002'));
  });

  it('keeps 128 bits of the hash, so that many owners with near-identical ids never collide', () => {
    expect(ownerRef(alice)).toMatch(/^[0-9a-f]{32}$/);
    // With a short reference (e.g. 16 bits) hundreds of these would collide (birthday bound).
    const names = new Set(Array.from({ length: 10_000 }, (_, i) => nameFor(`user_${String(i).padStart(8, '0')}`)));
    expect(names.size).toBe(10_000);
  });

  it('does not contain the raw owner id', () => {
    fc.assert(
      fc.property(fc.stringMatching(/^[A-Za-z0-9][A-Za-z0-9._:@|-]{5,127}$/), (raw) => {
        // An id that is literally part of the fixed name prefix cannot be kept out of it.
        fc.pre(!'selfie-lora-'.includes(raw));
        expect(destinationFor(perOwner, ownerId(raw)).name).not.toContain(raw);
      }),
    );
    const uuid = ownerId('8c1f2a90-5d4e-4b8a-9a57-2f1e3c4d5b6a');
    expect(destinationFor(perOwner, uuid).name).not.toContain('8c1f2a90');
  });
});

describe('shared destination', () => {
  it('is the same model for every owner', () => {
    expect(destinationFor(shared, alice)).toEqual({ owner: 'acme', name: 'selfie-lora' });
    expect(destinationFor(shared, bob)).toEqual(destinationFor(shared, alice));
  });
});

describe('destinationRef / sameDestination', () => {
  it('names a destination owner/name and compares both parts', () => {
    const d: Destination = { owner: 'acme', name: 'm' };
    expect(destinationRef(d)).toBe('acme/m');
    expect(sameDestination(d, { owner: 'acme', name: 'm' })).toBe(true);
    expect(sameDestination(d, { owner: 'acme', name: 'n' })).toBe(false);
    expect(sameDestination(d, { owner: 'other', name: 'm' })).toBe(false);
  });
});

describe('parseVersion', () => {
  it('splits owner/name:hash', () => {
    expect(parseVersion('acme/selfie-lora-0a1b:5c7d5dc6dd8b')).toEqual({
      destination: { owner: 'acme', name: 'selfie-lora-0a1b' },
      hash: '5c7d5dc6dd8b',
    });
  });

  it('round-trips any valid destination and hash', () => {
    const nameArb = fc.stringMatching(/^[a-z0-9][a-z0-9._-]{0,99}$/);
    fc.assert(
      fc.property(nameArb, nameArb, fc.stringMatching(/^[A-Za-z0-9]{1,128}$/), (owner, name, hash) => {
        expect(parseVersion(`${owner}/${name}:${hash}`)).toEqual({ destination: { owner, name }, hash });
      }),
    );
  });

  it.each([
    '',
    'acme/model',
    'acme:abc',
    'acme/model:',
    '/model:abc',
    'acme/:abc',
    'acme/team/model:abc',
    'acme/model:abc:def',
    'acme/model:ab-c',
    ' acme/model:abc',
    'acme/model:abc\n',
    '-acme/model:abc',
    `acme/${'m'.repeat(101)}:abc`,
    `acme/model:${'a'.repeat(129)}`,
  ])('refuses the malformed version %j', (version) => {
    expect(parseVersion(version)).toBeNull();
  });
});

describe('contradicts', () => {
  const expected: Destination = { owner: 'acme', name: 'selfie-lora-a' };

  it('is false when the trainer named no destination or the expected one', () => {
    expect(contradicts(null, expected)).toBe(false);
    expect(contradicts({ ...expected }, expected)).toBe(false);
  });

  it('is true when the trainer named another destination', () => {
    expect(contradicts({ owner: 'acme', name: 'selfie-lora-b' }, expected)).toBe(true);
    expect(contradicts({ owner: 'other', name: 'selfie-lora-a' }, expected)).toBe(true);
  });
});
