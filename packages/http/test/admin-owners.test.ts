import { describe, expect, it } from 'vitest';
import { destinationFor, ownerRef } from '@selfie-lora/core';
import { ERASE_OWNER_USAGE, parseEraseOwnerArgs, runEraseOwnerCommand } from '../src/erase-owner/erase-owner-command.js';
import { adminAuth, audit, listedModels, owner, trainedWorld } from './support/audit-world.js';
import { json } from './support/harness.js';

// The operator's erasure of an owner: DELETE /v1/admin/owners/:ownerId, its state, and
// `npm run erase-owner` without its process, all over the same eraseOwner and report mapper.

const alice = owner('alice');
const bob = owner('bob');

interface Report {
  uploadsDeleted: number;
  modelsErased: number;
  erasures: { kind: string; target: string; state: string; lastError: string | null }[];
}

const ownersKeys = (keys: readonly string[], who: typeof alice) => keys.filter((key) => key.split('/')[1] === ownerRef(who));

describe('DELETE /v1/admin/owners/:ownerId', () => {
  it('erases the owner as DELETE /v1/me does; the state route shows it done; the other owner and the audit are untouched', async () => {
    const { h } = await trainedWorld();
    const bobsKeys = ownersKeys(h.core.store.keys(), bob);
    const response = await h.app.inject({ method: 'DELETE', url: '/v1/admin/owners/alice', headers: adminAuth });
    expect(response.statusCode, response.body).toBe(202);
    const report = json<Report>(response);
    expect(report).toMatchObject({ uploadsDeleted: 3, modelsErased: 1 });
    expect(report.erasures.map((e) => [e.kind, e.state])).toEqual([
      ['objects', 'done'],
      ['objects', 'done'],
      ['objects', 'done'],
      ['trainer_model', 'done'],
    ]);
    expect(ownersKeys(h.core.store.keys(), alice)).toEqual([]);
    expect(ownersKeys(h.core.store.keys(), bob)).toEqual(bobsKeys);
    expect(await listedModels(h, h.alice)).toEqual([]);
    expect((await h.core.trainer.listVersions(destinationFor(h.core.deps.config.destinationStrategy, alice)))._unsafeUnwrap()).toEqual([]);
    expect((await audit(h)).violations).toEqual([]);

    const state = await h.app.inject({ method: 'GET', url: '/v1/admin/owners/alice/erasure', headers: adminAuth });
    expect(state.statusCode).toBe(200);
    expect(json(state)).toMatchObject({ ownerId: 'alice', pending: 0, done: 4, refused: 0 });
    const bobs = json<{ erasures: unknown[] }>(await h.app.inject({ method: 'GET', url: '/v1/admin/owners/bob/erasure', headers: adminAuth }));
    expect(bobs.erasures).toEqual([]);
  });

  it('shows what is still owed, with the error and the next try', async () => {
    const { h } = await trainedWorld();
    h.core.store.faults.failNext('delete');
    const report = json<Report>(await h.app.inject({ method: 'DELETE', url: '/v1/admin/owners/alice', headers: adminAuth }));
    const pending = report.erasures.filter((e) => e.state === 'pending');
    expect(pending).toHaveLength(1);
    const state = json<{ pending: number; erasures: { state: string; attempt: number; notBefore: string | null; lastError: string | null }[] }>(
      await h.app.inject({ method: 'GET', url: '/v1/admin/owners/alice/erasure', headers: adminAuth }),
    );
    expect(state.pending).toBe(1);
    expect(state.erasures.find((e) => e.state === 'pending')).toMatchObject({ attempt: 1, lastError: expect.stringMatching(/^storage\.unavailable/) as string });
  });

  it('needs the admin token: an owner token and no token are refused, and nothing is erased', async () => {
    const { h } = await trainedWorld();
    const before = h.core.store.keys();
    for (const headers of [{}, h.alice, h.bob]) {
      expect((await h.app.inject({ method: 'DELETE', url: '/v1/admin/owners/alice', headers })).statusCode).toBe(401);
      expect((await h.app.inject({ method: 'GET', url: '/v1/admin/owners/alice/erasure', headers })).statusCode).toBe(401);
    }
    expect(h.core.store.keys()).toEqual(before);
  });

  it('refuses an id that cannot be an owner with owner.invalid_id', async () => {
    const { h } = await trainedWorld();
    for (const url of ['/v1/admin/owners/%20bad', '/v1/admin/owners/-x/erasure']) {
      const method = url.endsWith('/erasure') ? 'GET' : 'DELETE';
      const response = await h.app.inject({ method, url, headers: adminAuth });
      expect(response.statusCode).toBe(422);
      expect(json(response)).toMatchObject({ code: 'owner.invalid_id' });
    }
  });
});

describe('npm run erase-owner', () => {
  it('parses one owner id and --json; refuses anything else', () => {
    expect(parseEraseOwnerArgs(['alice', '--json'])._unsafeUnwrap()).toEqual({ ownerId: 'alice', json: true });
    expect(parseEraseOwnerArgs(['--help'])._unsafeUnwrap()).toBe('help');
    expect(parseEraseOwnerArgs([])._unsafeUnwrapErr()).toMatch(/exactly one owner id/);
    expect(parseEraseOwnerArgs(['a', 'b'])._unsafeUnwrapErr()).toMatch(/exactly one owner id/);
    expect(parseEraseOwnerArgs(['bad id'])._unsafeUnwrapErr()).toMatch(/not a valid owner id/);
    expect(parseEraseOwnerArgs(['alice', '--quarantine'])._unsafeUnwrapErr()).toMatch(/quarantine/);
    expect(ERASE_OWNER_USAGE).toMatch(/Exit status: 0/);
  });

  it('exit 0 when all is erased, with the JSON the admin route answers', async () => {
    const { h } = await trainedWorld();
    const run = await runEraseOwnerCommand(h.core.deps, { ownerId: alice, json: true });
    expect(run.exitCode).toBe(0);
    const report = JSON.parse(run.output) as Report & { ownerId: string };
    expect(report).toMatchObject({ ownerId: 'alice', uploadsDeleted: 3, modelsErased: 1 });
    expect(ownersKeys(h.core.store.keys(), alice)).toEqual([]);
    // Repeating it finds nothing left to do and says so.
    const again = await runEraseOwnerCommand(h.core.deps, { ownerId: alice, json: false });
    expect(again.exitCode).toBe(0);
    expect(again.output).toMatch(/^Owner alice: 0 photo\(s\) deleted, 0 model\(s\) erased\n/);
  });

  it('exit 1 while an erasure is still owed, 3 when the trainer refused one', async () => {
    const owed = await trainedWorld();
    owed.h.core.store.faults.failNext('delete');
    const pending = await runEraseOwnerCommand(owed.h.core.deps, { ownerId: alice, json: false });
    expect(pending.exitCode).toBe(1);
    expect(pending.output).toMatch(/pending +objects .*attempt 1, next try .*storage\.unavailable/);

    const refused = await trainedWorld();
    refused.h.core.trainer.protectVersion(refused.model.version);
    const run = await runEraseOwnerCommand(refused.h.core.deps, { ownerId: alice, json: false });
    expect(run.exitCode).toBe(3);
    expect(run.output).toMatch(/refused +trainer_model .*trainer\.deletion_refused/);
  });

  it('exit 2 when the database fails', async () => {
    const { h } = await trainedWorld();
    h.core.db.faults.failNext('transaction');
    const run = await runEraseOwnerCommand(h.core.deps, { ownerId: alice, json: true });
    expect(run.exitCode).toBe(2);
    expect(JSON.parse(run.output)).toMatchObject({ error: { code: 'persistence.unavailable' } });
  });
});
