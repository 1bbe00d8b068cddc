/**
 * One page of a List operation: items in key order, starting after `marker` (the last key of the page
 * before), with the marker for the next page when there is one. Keys are ordered by code unit, the same
 * order the comparison with the marker uses — a locale order would disagree with it about case and skip
 * items between pages.
 */
export function pageAfter<T>(
  items: Iterable<T>,
  keyOf: (item: T) => string,
  marker: string | undefined,
  maxItems: number,
): { items: T[]; nextMarker?: string } {
  const sorted = [...items].sort((a, b) => byCodeUnit(keyOf(a), keyOf(b)));
  const start = marker === undefined ? 0 : sorted.findIndex((item) => keyOf(item) > marker);
  const page = start < 0 ? [] : sorted.slice(start, start + maxItems);
  const more = start >= 0 && start + maxItems < sorted.length;
  return more ? { items: page, nextMarker: keyOf(page[page.length - 1]!) } : { items: page };
}

const byCodeUnit = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

/** A map key made of several names (function and qualifier, say) that cannot run into each other. */
export const compositeKey = (...parts: readonly string[]): string => parts.join('\u0000');
