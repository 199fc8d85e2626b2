import type { FaultKind, FaultSpec } from './types.js';

/** A fault that hit a request: its kind, and for 'reply' what to answer. */
export interface Hit {
  kind: FaultKind;
  reply?: FaultSpec['reply'];
}

interface ActiveFault extends Hit {
  remaining: number;
  until: number;
  pathIncludes: string | undefined;
}

/**
 * Injected failures, consumed in order of injection: a fault lasts for its `count` matching
 * requests, or until `durationMs` has passed, whichever ends first; with neither it hits once.
 */
export class FaultQueue {
  private faults: ActiveFault[] = [];

  /** Adds a fault starting at `now`. */
  inject(spec: FaultSpec, now: number): void {
    const timed = spec.durationMs !== undefined;
    this.faults.push({
      kind: spec.kind,
      reply: spec.reply,
      remaining: spec.count ?? (timed ? Number.POSITIVE_INFINITY : 1),
      until: timed ? now + (spec.durationMs ?? 0) : Number.POSITIVE_INFINITY,
      pathIncludes: spec.pathIncludes,
    });
  }

  /** Removes every fault. */
  clear(): void {
    this.faults = [];
  }

  /** The fault that hits a request to `path` at `now`, consuming one use of it. */
  take(path: string, now: number): Hit | undefined {
    this.faults = this.faults.filter((f) => f.remaining > 0 && f.until > now);
    const hit = this.faults.find((f) => f.pathIncludes === undefined || path.includes(f.pathIncludes));
    if (hit === undefined) return undefined;
    hit.remaining -= 1;
    return { kind: hit.kind, reply: hit.reply };
  }
}
