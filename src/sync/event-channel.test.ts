import { describe, expect, it } from "vitest";
import { EventChannel } from "./event-channel.js";

async function drain<T>(channel: EventChannel<T>): Promise<{ got: T[]; error?: unknown }> {
  const got: T[] = [];
  try {
    for await (const event of channel) got.push(event);
    return { got };
  } catch (error) {
    return { got, error };
  }
}

describe("EventChannel", () => {
  it("gives the consumer what was pushed, then ends on close", async () => {
    const channel = new EventChannel<number>();
    channel.push(1);
    const drained = drain(channel);
    channel.push(2);
    channel.close();
    channel.push(3);
    expect(await drained).toEqual({ got: [1, 2] });
  });

  it("ends with the error on fail, after what was pushed before, whether the consumer waits or comes later", async () => {
    const waiting = new EventChannel<number>();
    const drained = drain(waiting);
    waiting.push(1);
    waiting.fail(new Error("the run could not be recorded"));
    expect(await drained).toEqual({ got: [1], error: new Error("the run could not be recorded") });

    const late = new EventChannel<number>();
    late.push(1);
    late.fail(new Error("gone"));
    late.close();
    expect(await drain(late)).toEqual({ got: [1], error: new Error("gone") });
  });
});
