import v8 from "node:v8";
import vm from "node:vm";
import { describe, expect, it } from "@jest/globals";
import { ChecksumType } from "./checksum.js";
import { FLAG_MORE_FRAGMENTS } from "./constants.js";
import { FrameType } from "./frame-type.js";
import type { CallResFrame, ContinueFrame } from "./frame.js";
import { newHeaderMap } from "./header-map.js";
import { MessageAssembler } from "./message-assembler.js";
import { EMPTY_TRACING } from "./tracing.js";

// Issue 18: the assembler takes and drops one entry per fragmented message. Its table of
// unfinished messages must not keep finished ones alive through scavenges once the assembler
// lives in old space, as a long-lived connection's does (a Map did: 3.5-6 MB promoted here
// against 0.05 MB; see id-table.ts). A structural property, measured in bytes, not time. The
// messages are small and their args views (no ArgBuilder), so that no external-memory
// mark-compact frees the garbage before it can be seen.
describe("MessageAssembler under churn", () => {
  it("lets finished fragmented messages die young", () => {
    v8.setFlagsFromString("--expose-gc");
    const gc = vm.runInNewContext("gc") as () => void;
    const assembler = new MessageAssembler({ verifyChecksums: false });
    // arg1 and arg2 whole in the first frame, arg3 in the continue frame.
    const first = (id: number): CallResFrame => ({
      type: FrameType.CallRes,
      id,
      flags: FLAG_MORE_FRAGMENTS,
      code: 0,
      tracing: EMPTY_TRACING,
      headers: newHeaderMap(),
      checksumType: ChecksumType.None,
      args: [Buffer.alloc(0), Buffer.alloc(100, 1), Buffer.alloc(0)],
    });
    const last = (id: number): ContinueFrame => ({ type: FrameType.CallResContinue, id, flags: 0, checksumType: ChecksumType.None, args: [Buffer.alloc(100, 2)] });
    const live = 32;
    let id = 0;
    for (let i = 0; i < live; i++) assembler.push(first(++id));
    gc();
    const oldSpace = () => v8.getHeapSpaceStatistics().find((s) => s.space_name === "old_space")!.space_used_size;
    const before = oldSpace();
    let finished = 0;
    for (let n = 0; n < 100_000; n++) {
      if (assembler.push(last(id - live + 1)) !== undefined) finished++;
      assembler.push(first(++id));
    }
    const promoted = oldSpace() - before;
    expect(finished).toBe(100_000);
    expect(assembler.pending).toBe(live);
    expect(promoted).toBeLessThan(1_000_000);
  });
});
