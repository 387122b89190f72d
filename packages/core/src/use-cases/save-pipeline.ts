import type { ResultAsync } from 'neverthrow';
import type { TrainingPipeline } from '../domain/training-pipeline.js';
import type { PersistenceError } from '../ports/repositories.js';
import type { CoreDeps } from './core-deps.js';

/** Persists a transition; a stale revision comes back as `persistence.conflict`, never overwrites (I7). */
export function savePipeline<P extends TrainingPipeline>(deps: CoreDeps, pipeline: P): ResultAsync<P, PersistenceError> {
  return deps.uow.transaction((repos) => repos.pipelines.update(pipeline)).map((saved) => saved);
}
