import type { FieldMask } from "@bufbuild/protobuf/wkt";
import { ValidationError } from "../errors.js";

/**
 * The paths of an update_mask, checked against what may change; a missing
 * mask, an empty one or a path outside `allowed` is INVALID_ARGUMENT.
 */
export function maskPaths<P extends string>(mask: FieldMask | undefined, allowed: readonly P[]): Set<P> {
  const paths = mask?.paths ?? [];
  if (paths.length === 0) {
    throw new ValidationError([{ field: "update_mask", description: `required: name the fields to change (${allowed.join(", ")})` }]);
  }
  const bad = paths.filter((p) => !(allowed as readonly string[]).includes(p));
  if (bad.length > 0) {
    throw new ValidationError([{ field: "update_mask", description: `cannot change ${bad.join(", ")}; allowed: ${allowed.join(", ")}` }]);
  }
  return new Set(paths as P[]);
}
