// How numbers and text are shortened for people (status, views, reports), written once.

/** `digits` significant digits, or '—' where there is no number. */
export const sig = (x: number | null | undefined, digits: number): string => (x === null || x === undefined ? '—' : Number(x.toPrecision(digits)).toString());

/** At most n characters, '…' where cut. */
export const clip = (s: string, n: number): string => (s.length > n ? s.slice(0, n - 1) + '…' : s);

/** One line (whitespace collapsed) of at most n characters. */
export const clipLine = (s: string, n: number): string => clip(s.replace(/\s+/g, ' ').trim(), n);
