import type { StoreGeneration } from '../token-store.interface.js';

/** A generation statement's answer (see PostgresStatements.readGeneration and claimGeneration). */
export interface MarkerRow {
  marker: string | null;
  /** The binding the marker was written under. */
  stored: string | null;
  /** The current binding. */
  binding: string;
}

export function isPermissionError(error: unknown): boolean {
  return (error as { code?: unknown } | null)?.code === '42501';
}

/** The stored marker when it was written under the current binding, else none. */
export function markerFor(row: MarkerRow | undefined): StoreGeneration | undefined {
  if (row?.marker == null || row.stored !== row.binding) return undefined;
  try {
    const parsed = JSON.parse(row.marker) as Partial<StoreGeneration>;
    if (typeof parsed.id === 'string' && typeof parsed.createdAt === 'number')
      return { id: parsed.id, createdAt: parsed.createdAt };
  } catch {
    // not a marker of ours: claimed over
  }
  return undefined;
}
