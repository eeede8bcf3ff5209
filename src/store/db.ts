// MongoDB holds campaigns, trials and recipe snapshots. Only plain CRUD and indexes are used
// (no transactions, change streams or $lookup), so FerretDB and MongoDB both serve it.
import { MongoClient, MongoServerError, type Collection, type Db } from 'mongodb';
import type { CampaignInput, Label, TrialRecord } from '../types.js';
import { mongoDbName, mongoUri } from '../config.js';
import type { LineageSummaryDoc } from '../lineage/summary.js';
import type { Direction } from '../metric.js';

/** Server codes for a write refused for its content (BadValue: FerretDB's nested arrays, a `$` key; too large; failed validation). */
const REFUSED_WRITE_CODES = new Set([2, 52, 121, 10334]);

/** The database refused the document itself, as opposed to being unreachable: the same write fails every time. */
export function isRefusedWrite(err: unknown): err is MongoServerError {
  return err instanceof MongoServerError && typeof err.code === 'number' && REFUSED_WRITE_CODES.has(err.code) && !err.hasErrorLabel('RetryableWriteError');
}

export interface CampaignDoc {
  _id: string;
  task: string;
  preset: string;
  input: CampaignInput;
  baselineSha: string;
  evaluatorHash: string;
  metric: { name: string; direction: Direction };
  createdAt: string;
  best: { trialId: string; index: number; score: number; sha: string } | null;
  baseline: { score: number | null; label: Label; spread: number | null } | null;
  /** The meta analyst's key-insights note, refreshed every few finished trials. */
  insights?: { text: string; afterTrials: number; updatedAt: string; trialId: string };
  /** Set by `lineage import`: the results.tsv this campaign was read from (no workflow ran it). */
  importedFrom?: string;
}

export interface TrialDoc extends TrialRecord {
  _id: string;
  recordedAt: string;
  /** Set by `lineage import`: the status the file wrote (e.g. the paper's `harness_abort`), before it became `label`. */
  sourceStatus?: string;
}

/** Recipe files by commit sha, so a worker on any host can materialize a trial's checkout. */
export interface SnapshotDoc {
  _id: string;
  campaignId: string;
  files: { path: string; content: string }[];
}

/**
 * A recipe tree claimed by one trial of a campaign: _id is `<campaign id>/<tree hash>`, so the
 * unique _id makes the claim atomic (FerretDB v1 has no transactions) and two trials in flight
 * that produce the same recipe cannot both train it.
 */
export interface TreeClaimDoc {
  _id: string;
  campaignId: string;
  index: number;
  hash: string;
}

export class Store {
  readonly campaigns: Collection<CampaignDoc>;
  readonly trials: Collection<TrialDoc>;
  readonly snapshots: Collection<SnapshotDoc>;
  /** Bounded lineage summaries by _id: what proposals read instead of scanning trials. */
  readonly lineage: Collection<LineageSummaryDoc>;
  readonly treeClaims: Collection<TreeClaimDoc>;

  private constructor(
    readonly client: MongoClient,
    readonly db: Db,
  ) {
    this.campaigns = db.collection<CampaignDoc>('campaigns');
    this.trials = db.collection<TrialDoc>('trials');
    this.snapshots = db.collection<SnapshotDoc>('snapshots');
    this.lineage = db.collection<LineageSummaryDoc>('lineage');
    this.treeClaims = db.collection<TreeClaimDoc>('tree_claims');
  }

  /**
   * Connects, waiting out an unreachable server with backoff for up to `waitS` (workers pass the
   * outage limit, so one started during an outage comes up when MongoDB does; the CLI fails fast). Once connected, the driver reconnects by itself;
   * an operation during an outage fails within seconds and its activity retries with backoff.
   */
  static async connect(uri = mongoUri(), dbName = mongoDbName(), waitS = 0, log: (line: string) => void = console.error): Promise<Store> {
    const since = Date.now();
    for (let delayMs = 1000; ; delayMs = Math.min(delayMs * 2, 30_000)) {
      // A socket timeout bounds an operation on a server that accepts connections but never answers.
      const client = new MongoClient(uri, { serverSelectionTimeoutMS: 10_000, socketTimeoutMS: 60_000 });
      try {
        await client.connect();
        const store = new Store(client, client.db(dbName));
        await store.ensureIndexes();
        return store;
      } catch (err) {
        await client.close().catch(() => undefined);
        if (Date.now() - since > waitS * 1000) throw err;
        log(`waiting for MongoDB at ${uri} since ${new Date(since).toISOString()}: ${(err as Error).message}`);
        await new Promise((r) => setTimeout(r, delayMs));
      }
    }
  }

  /** The indexes the queries use: a campaign's trials by index (reports, exports, watch), its tree claims by trial (a claim moves). */
  async ensureIndexes(): Promise<void> {
    await this.trials.createIndex({ campaignId: 1, index: 1 });
    await this.treeClaims.createIndex({ campaignId: 1, index: 1 });
  }

  async close(): Promise<void> {
    await this.client.close();
  }
}
