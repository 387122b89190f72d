import { execFile } from 'node:child_process';
import { promisify } from 'node:util';

const run = promisify(execFile);

/**
 * The OS account the embedded PostgreSQL runs as. PostgreSQL refuses to run as root, so root
 * runs it as a separate user (`postgres`); anyone else runs it as themselves.
 */
export type ServerAccount = { readonly kind: 'self' } | { readonly kind: 'other'; readonly name: string; readonly uid: number; readonly gid: number };

export const POSTGRES_OS_USER = 'postgres';

/** What to do when root has no account to run PostgreSQL as: one line, for the person starting. */
function missingAccountMessage(name: string): string {
  return `as root, the embedded PostgreSQL must run as a "${name}" OS user and there is none: create it (useradd --system ${name}), run npm start as another user, or set DATABASE_URL`;
}

/** The account to run the server as; fails (with what to do) when root has no such user. */
export async function serverAccount(name: string = POSTGRES_OS_USER): Promise<ServerAccount> {
  if (process.getuid?.() !== 0) return { kind: 'self' };
  try {
    const [uid, gid] = await Promise.all([run('id', ['-u', name]), run('id', ['-g', name])]);
    return { kind: 'other', name, uid: Number(uid.stdout.trim()), gid: Number(gid.stdout.trim()) };
  } catch {
    throw new Error(missingAccountMessage(name));
  }
}

/**
 * Whether the account can reach `path` with `test -<flag>` (x: search a directory or run a
 * file), asked as that account: the same uid/gid and no supplementary groups, exactly how the
 * server is spawned, so the answer is the one the server would get.
 */
export async function accountCan(account: ServerAccount, flag: 'x' | 'r' | 'w', path: string): Promise<boolean> {
  const as = account.kind === 'other' ? { uid: account.uid, gid: account.gid } : {};
  try {
    await run('test', [`-${flag}`, path], { ...as, cwd: '/' });
    return true;
  } catch {
    return false;
  }
}
