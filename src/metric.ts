// Which way a task's metric improves, written once. Pure: used in workflows too.
export type Direction = 'minimize' | 'maximize';

/** a is a better score than b. */
export const isBetter = (direction: Direction, a: number, b: number): boolean => (direction === 'minimize' ? a < b : a > b);

/** How much `score` improves on `best` (negative when worse). */
export const gainOver = (direction: Direction, score: number, best: number): number => (direction === 'minimize' ? best - score : score - best);

/** "lower" or "higher", for "... is better". */
export const betterWord = (direction: Direction): 'lower' | 'higher' => (direction === 'minimize' ? 'lower' : 'higher');

/** Sorts scores best first. */
export const bestFirst =
  (direction: Direction) =>
  (a: number, b: number): number =>
    direction === 'minimize' ? a - b : b - a;

/** The kept, scored trial with the best score (the first of equals), or null. */
export function bestKept<T extends { keep: boolean; score: number | null }>(direction: Direction, trials: Iterable<T>): T | null {
  let best: T | null = null;
  for (const t of trials) if (t.keep && t.score !== null && (best === null || isBetter(direction, t.score, best.score!))) best = t;
  return best;
}
