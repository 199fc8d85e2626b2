/**
 * Values of raw rows. The ORM's driver hands timestamps over as strings (to
 * keep their precision), so plain-SQL reads turn them into dates here.
 */
export function dateOrNull(value: unknown): Date | null {
  return value === null || value === undefined ? null : new Date(value as string);
}
