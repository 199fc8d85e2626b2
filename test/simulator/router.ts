import type { Route, SimRequest } from './dialect.js';

interface Entry {
  method: string;
  pattern: RegExp;
  names: string[];
  route: Route;
}

/**
 * Method + path routing with `:name` segments, so each dialect file reads as its endpoint list.
 * `:name*` matches the rest of the path, literal `:` and `,` in paths (Bitfinex) are kept.
 */
export class Router {
  private readonly entries: Entry[] = [];

  /** Registers an endpoint; chainable. */
  on(method: string, path: string, route: Route): this {
    const names: string[] = [];
    const source = path
      .split('/')
      .map((segment) => {
        const param = /^:(\w+)(\*?)$/.exec(segment);
        if (param === null) return segment.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
        names.push(param[1] ?? '');
        return param[2] === '*' ? '(.+)' : '([^/]+)';
      })
      .join('/');
    this.entries.push({ method, pattern: new RegExp(`^${source}$`), names, route });
    return this;
  }

  /** The endpoint and path parameters for a request. */
  match(req: SimRequest): { route: Route; pathParams: Record<string, string> } | undefined {
    for (const entry of this.entries) {
      if (entry.method !== req.method) continue;
      const found = entry.pattern.exec(req.path);
      if (found === null) continue;
      const pathParams: Record<string, string> = {};
      entry.names.forEach((name, i) => {
        pathParams[name] = decodeURIComponent(found[i + 1] ?? '');
      });
      return { route: entry.route, pathParams };
    }
    return undefined;
  }
}
