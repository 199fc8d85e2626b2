import { type FieldViolation, ValidationError } from "./errors.js";

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** True for a canonical UUID string. */
export function isUuid(value: string): boolean {
  return UUID.test(value);
}

/**
 * Collects every bad field of a request, so one INVALID_ARGUMENT names them
 * all. Descriptions say what is wrong, never echo the value (it may be a secret).
 */
export class Violations {
  private readonly list: FieldViolation[] = [];

  add(field: string, description: string): this {
    this.list.push({ field, description });
    return this;
  }

  /** A required UUID. */
  uuid(field: string, value: string): this {
    if (!value) return this.add(field, "required");
    return isUuid(value) ? this : this.add(field, "must be a UUID");
  }

  /** An optional UUID: empty is fine. */
  optionalUuid(field: string, value: string): this {
    return value && !isUuid(value) ? this.add(field, "must be a UUID") : this;
  }

  /** A string of min..max characters; min 0 makes it optional. */
  text(field: string, value: string, min: number, max: number): this {
    if (min > 0 && value.trim().length === 0) return this.add(field, "required");
    if (value.length > max) return this.add(field, `must be at most ${max} characters`);
    if (value.length < min) return this.add(field, `must be at least ${min} characters`);
    if (/[\u0000-\u001f\u007f]/.test(value)) return this.add(field, "must not contain control characters");
    return this;
  }

  /** A client request id: optional, 1-64 characters of [A-Za-z0-9_.:-]. */
  requestId(field: string, value: string): this {
    return value && !/^[\w.:-]{1,64}$/.test(value) ? this.add(field, "must be 1-64 characters of letters, digits, '_', '.', ':' or '-'") : this;
  }

  /** A string map with at most 32 entries, keys 1-64 and values at most 1024 characters. */
  stringMap(field: string, value: Readonly<Record<string, string>>): this {
    const entries = Object.entries(value);
    if (entries.length > 32) return this.add(field, "must have at most 32 entries");
    for (const [key, item] of entries) {
      if (!/^[\w./-]{1,64}$/.test(key)) this.add(`${field}[${JSON.stringify(key.slice(0, 64))}]`, "keys must be 1-64 characters of letters, digits, '_', '.', '/' or '-'");
      else if (item.length > 1024) this.add(`${field}[${JSON.stringify(key)}]`, "values must be at most 1024 characters");
    }
    return this;
  }

  get isEmpty(): boolean {
    return this.list.length === 0;
  }

  /** Throws one ValidationError naming every violation, if there is any. */
  throwIfAny(): void {
    if (this.list.length > 0) throw new ValidationError(this.list);
  }
}
