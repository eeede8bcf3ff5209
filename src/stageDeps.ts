// What every stage needs, handed to the activities (dependency injection): the store, the state
// folder, the interpreter, and tasks loaded once.
import path from 'node:path';
import { Store } from './store/db.js';
import { lineageHome, pythonPath } from './config.js';
import { loadTask, type LoadedTask } from './task/spec.js';
import { RecipeRepository } from './recipe/repository.js';

export class StageDeps {
  private tasks = new Map<string, LoadedTask>();

  constructor(
    readonly store: Store,
    readonly home = lineageHome(),
    readonly python = pythonPath(),
  ) {}

  /** Workers and the demo wait out a MongoDB that is not up yet (30 min, the default outage limit). */
  static async connect(waitS = 30 * 60): Promise<StageDeps> {
    return new StageDeps(await Store.connect(undefined, undefined, waitS));
  }

  task(name: string, preset: string): LoadedTask {
    const key = `${name}@${preset}`;
    let t = this.tasks.get(key);
    if (!t) {
      t = loadTask(name, preset);
      this.tasks.set(key, t);
    }
    return t;
  }

  repository(campaignId: string): RecipeRepository {
    return new RecipeRepository(path.join(this.home, 'campaigns', campaignId, 'repo.git'));
  }

  async close(): Promise<void> {
    await this.store.close();
  }
}
