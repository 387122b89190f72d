import type { Repositories, UnitOfWork } from '@selfie-lora/core';

/**
 * `uow` with the repositories each transaction sees rewritten by `rewrite`: how a test stages a
 * stale read, counts writes, or holds a statement back, without a fake database.
 */
export function withRepositories(uow: UnitOfWork, rewrite: (repositories: Repositories) => Repositories): UnitOfWork {
  return { transaction: (work) => uow.transaction((repositories) => work(rewrite(repositories))) };
}
