import type fc from 'fast-check';
import { checkInvariants } from './invariants.js';
import { syncModel, type Model, type World } from './world.js';

/**
 * One operation of the model-based suite. `act` drives the real core and checks what that one
 * operation promised; every invariant is then checked against the real state after it.
 */
export abstract class WorldCommand implements fc.AsyncCommand<Model, World> {
  check(_model: Readonly<Model>): boolean {
    return true;
  }

  async run(model: Model, world: World): Promise<void> {
    await this.act(model, world);
    checkInvariants(world);
    syncModel(model, world);
  }

  protected abstract act(model: Model, world: World): Promise<void>;

  abstract toString(): string;
}
