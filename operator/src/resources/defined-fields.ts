/**
 * Returns the object without its undefined fields. JSON would drop them anyway; dropping
 * them here keeps the built objects equal to what is applied, so tests and the
 * controller's diffs see exactly the fields we own.
 */
export function definedFields<T extends object>(value: T): T {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as T;
}
