import { afterEach, describe, expect, it } from "@jest/globals";
import type { CallResult } from "./call-types.js";
import { type SyncCallInterceptor, setSyncCallInterceptor, syncCallInterceptor } from "./sync-call-interceptor.js";

afterEach(() => void setSyncCallInterceptor(undefined));

const answer: CallResult = { ok: true, code: 0, arg2: Buffer.alloc(0), arg3: Buffer.from("stand-in"), headers: { as: "raw" }, hostPort: "" };

describe("setSyncCallInterceptor", () => {
  it("installs one interceptor for the thread and hands back the one it replaces", () => {
    expect(syncCallInterceptor()).toBeUndefined();
    const first: SyncCallInterceptor = () => answer;
    const second: SyncCallInterceptor = (options, channel, next) => next(options);
    expect(setSyncCallInterceptor(first)).toBeUndefined();
    expect(syncCallInterceptor()).toBe(first);
    expect(setSyncCallInterceptor(second)).toBe(first);
    expect(syncCallInterceptor()).toBe(second);
    expect(setSyncCallInterceptor(undefined)).toBe(second);
    expect(syncCallInterceptor()).toBeUndefined();
  });

  it("is separate from the async hook: TChannel.call never consults it", async () => {
    const { TChannel } = await import("./tchannel.js");
    const seen: string[] = [];
    setSyncCallInterceptor((options) => {
      seen.push(options.service);
      return answer;
    });
    const ch = new TChannel({ name: "caller" });
    try {
      // No peer: the real call path runs (and fails), the sync hook is not asked.
      await expect(ch.call({ service: "svc", scheme: "raw", arg1: "e" })).rejects.toThrow(/no peer available/);
      expect(seen).toEqual([]);
    } finally {
      await ch.close();
    }
  });
});
