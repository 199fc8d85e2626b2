import type { HandlerContext, ServiceImpl } from "@connectrpc/connect";
import { DomainError } from "../errors.js";
import type { HealthMonitor } from "../health-monitor.js";
import { type Health, HealthCheckResponse_ServingStatus as Status } from "../../gen/grpc/health/v1/health_pb.js";

/**
 * gRPC health checking (grpc.health.v1.Health). The server as a whole ("")
 * and each wallet service report the monitor's status; Watch streams it on
 * every change and ends once the server is draining.
 */
export function healthService(monitor: HealthMonitor, services: readonly string[]): ServiceImpl<typeof Health> {
  const known = new Set(["", ...services]);
  const status = () => (monitor.serving ? Status.SERVING : Status.NOT_SERVING);
  return {
    check(req) {
      if (!known.has(req.service)) throw new DomainError("not_found", "SERVICE_UNKNOWN", `unknown service "${req.service}"`);
      return { status: status() };
    },
    async *watch(req, ctx) {
      if (!known.has(req.service)) {
        yield { status: Status.SERVICE_UNKNOWN };
        await nextChange(monitor, ctx);
        return;
      }
      let last: Status | undefined;
      while (!ctx.signal.aborted) {
        const now = status();
        if (now !== last) yield { status: now };
        last = now;
        if (monitor.shuttingDown) return;
        await nextChange(monitor, ctx);
      }
    },
  };
}

function nextChange(monitor: HealthMonitor, ctx: HandlerContext): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      unsubscribe();
      ctx.signal.removeEventListener("abort", done);
      resolve();
    };
    const unsubscribe = monitor.onChange(done);
    ctx.signal.addEventListener("abort", done);
  });
}
