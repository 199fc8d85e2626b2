import { describe, expect, it } from 'vitest';
import { FaultQueue } from './faults.js';

describe('FaultQueue', () => {
  it('hits the next N matching requests only', () => {
    const faults = new FaultQueue();
    faults.inject({ kind: 'auth', count: 2, pathIncludes: '/balance' }, 0);
    expect(faults.take('/markets', 0)).toBeUndefined();
    expect(faults.take('/v1/balance', 0)?.kind).toBe('auth');
    expect(faults.take('/v1/balance', 0)?.kind).toBe('auth');
    expect(faults.take('/v1/balance', 0)).toBeUndefined();
  });

  it('lasts for its time window, and once without count or duration', () => {
    const faults = new FaultQueue();
    faults.inject({ kind: 'maintenance', durationMs: 100 }, 0);
    expect(faults.take('/a', 50)?.kind).toBe('maintenance');
    expect(faults.take('/a', 99)?.kind).toBe('maintenance');
    expect(faults.take('/a', 100)).toBeUndefined();
    faults.inject({ kind: 'timeout' }, 200);
    expect(faults.take('/a', 200)?.kind).toBe('timeout');
    expect(faults.take('/a', 200)).toBeUndefined();
  });
});
