// The one error policy of every activity: errors that retrying cannot fix (a bad spec or campaign
// input, a tampered evaluator, train outputs gone from the slot, a document the database refuses)
// fail at once, non-retryable, with their message; anything else is infrastructure and is retried.
import { ApplicationFailure } from '@temporalio/common';
import { isRefusedWrite } from '../src/store/db.js';
import { TaskSpecError } from '../src/task/spec.js';
import { EvaluatorMismatchError, SlotOutputsLostError } from '../src/stages/trainAndEvaluate.js';
import { CampaignInputError } from '../src/stages/setup.js';

export async function nonRetryable<T>(fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    if (err instanceof TaskSpecError || err instanceof EvaluatorMismatchError || err instanceof SlotOutputsLostError || err instanceof CampaignInputError) {
      throw ApplicationFailure.nonRetryable(err.message, err.name);
    }
    if (isRefusedWrite(err)) throw ApplicationFailure.nonRetryable(`MongoDB refused the document: ${err.message}`, 'RefusedWrite');
    throw err;
  }
}
