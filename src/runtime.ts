// What every stage needs: the store, the state folder, the interpreter, and tasks loaded once.
import path from 'node:path';
import { Store } from './store/db.js';
import { lineageHome, pythonPath } from './config.js';
import { loadTask, type LoadedTask } from './task/spec.js';
import { RecipeRepository } from './recipe/repository.js';

export class Runtime {
  private tasks = new Map<string, LoadedTask>();

  constructor(
    readonly store: Store,
    readonly home = lineageHome(),
    readonly python = pythonPath(),
  ) {}

  static async connect(): Promise<Runtime> {
    return new Runtime(await Store.connect());
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
