import { describe, expect, it, jest } from "@jest/globals";
import { mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { loadThriftSync } from "./thrift-module.js";
import { generateTypes } from "./type-generator.js";
import { projectImport, runTypesCli } from "./types-cli.js";
import { typecheckProject } from "../test/typecheck-project.js";

const pkg = join(__dirname, "..");

const USAGE = `
import { TChannel } from "@tchannel/channel";
import { loadThriftSync, thriftClient } from "@tchannel/thrift";
import type { KitchenModule } from "./kitchen.js";

const store = loadThriftSync<KitchenModule>("kitchen.thrift", { service: "store" });
const thrift = thriftClient(new TChannel({ name: "n" }));
thrift.register(store.Store, "get", (req) => {
  const key: string = req.body.key;
  if (key === "") throw new store.shared.Missing({ key });
  return new store.Entry({ key, status: "OK", ttl: 5n });
});
thrift.register(store.Store, "clear", () => null);
export async function use(): Promise<bigint> {
  const res = await thrift(store.Store.put({ entry: new store.Entry({ key: "k" }) }));
  const statuses: "OK" | "EXPIRED" = store.Status.EXPIRED;
  void statuses;
  try {
    await thrift(store.Store.get({ key: "k" }));
  } catch (err) {
    if (err instanceof store.shared.Missing) {
      const why: string | undefined = err.why;
      void why;
    }
  }
  // @ts-expect-error a number is not a string key
  store.Store.get({ key: 1 });
  // @ts-expect-error the required key is missing
  store.Store.get({});
  // @ts-expect-error no such method
  thrift.register(store.Store, "nope", () => 1);
  // @ts-expect-error put returns an i64 (bigint), not a string
  thrift.register(store.Store, "put", () => "x");
  // @ts-expect-error i64 fields are bigints
  new store.Entry({ key: "k", ttl: "5" });
  return res.body;
}
`;

/** Type-checks `files` (written to a temporary folder) with strict and no skipLibCheck; throws tsc's output. */
function typeCheck(name: string, files: Record<string, string>): void {
  const entries = Object.keys(files).filter((f) => !f.endsWith(".d.ts"));
  typecheckProject(join(pkg, "test", `.typegen-${name}`), files, entries, { strict: true, skipLibCheck: false });
}

// A Cadence-sized IDL set of our own (test/fixtures/cadence-like): includes of includes, aliased
// includes, typedefs, unions, enums (one lower-case), exceptions whose IDL has `message` of type
// string (required and optional), of type i32, and `name` and `cause` fields.
const CADENCE_USAGE = `
import { TChannel } from "@tchannel/channel";
import { loadThrift, thriftClient } from "@tchannel/thrift";
import type { AdminModule, s_EventType, s_HistoryEvent } from "./admin.js";

export async function main(): Promise<void> {
  const admin = await loadThrift<AdminModule>("admin.thrift");
  const thrift = thriftClient(new TChannel({ name: "cadence-frontend" }));
  thrift.register(admin.AdminService, "StartWorkflowExecution", (req) => {
    const domain: string | undefined = req.body.startRequest?.domain;
    if (domain === undefined) throw new admin.s.BadRequestError({ message: "domain is required" });
    if (domain === "busy") throw new admin.s.LimitExceededError({ message: 42, name: "rps" });
    throw new admin.s.WorkflowExecutionAlreadyStartedError({ startRequestId: "r" });
  });
  thrift.register(admin.AdminService, "SignalWorkflowExecution", (req) => {
    void req.body.signalName;
  });
  thrift.register(admin.AdminService, "Now", () => 5n);
  thrift.register(admin.AdminService, "DescribeHistory", async (req) => {
    const id: string | undefined = req.body.execution.workflowId;
    const event: s_HistoryEvent = new admin.s.HistoryEvent({ eventId: 1n, eventType: "ActivityTaskScheduled", day: "MONDAY" });
    return new admin.s.History({ events: [event, { decision: { scheduleActivity: { activityId: id } } }] });
  });
  try {
    const res = await thrift(admin.AdminService.GetWorkflowExecutionHistory({ getRequest: { domain: "d" } }));
    for (const e of res.body.history?.events ?? []) {
      const t: s_EventType | number | undefined = e.eventType;
      if (typeof t === "number") console.log("an event type this client does not know:", t);
      const d = e.decision;
      if (d !== undefined && d.scheduleActivity === undefined && d.completeWorkflow === undefined) console.log("a decision this client does not know");
    }
  } catch (err) {
    if (err instanceof admin.s.EntityNotExistsError) {
      const message: string = err.message;
      void message;
    }
    if (err instanceof admin.s.WorkflowExecutionAlreadyStartedError) {
      const message: string | undefined = err.message;
      void message;
      const stack: string | undefined = err.stack;
      void stack;
    }
    if (err instanceof admin.s.LimitExceededError) {
      const code: number | undefined = err.message;
      const name: string | undefined = err.name;
      void code, name;
    }
    if (err instanceof admin.s.InternalServiceError) {
      const cause: string[] | undefined = err.cause;
      void cause;
    }
  }
  // @ts-expect-error an i32 message is not a string
  new admin.s.LimitExceededError({ message: "x" });
  // @ts-expect-error the required message is missing
  new admin.s.BadRequestError({});
}
`;

describe("tchannel-thrift types: static types for a run-time loaded IDL", () => {
  it("emits declarations for a Cadence-sized IDL set that type-check with strict and no skipLibCheck", () => {
    const module = loadThriftSync(join(pkg, "test", "fixtures", "cadence-like", "admin.thrift"));
    const text = generateTypes(module, "AdminModule");
    expect(text).toContain('export interface s_WorkflowExecutionAlreadyStartedError extends Omit<ThriftException, "message"> {');
    expect(text).toContain('export interface s_LimitExceededError extends Omit<ThriftException, "message" | "name"> {');
    expect(text).toContain("eventType?: s_EventType | number;");
    typeCheck("cadence", { "admin.d.ts": text, "usage.ts": CADENCE_USAGE });
  }, 120_000);

  it("the CLI writes them with --out, imports from --import, and refuses unknown flags", () => {
    const out = join(pkg, "test", ".typegen-cli.d.ts");
    const kv = join(pkg, "test", "fixtures", "keyvalue.thrift");
    try {
      expect(runTypesCli(["types", kv, "--out", out, "--import", "tchannel-ts"], "@tchannel/thrift")).toBe(0);
      const text = readFileSync(out, "utf8");
      expect(text).toContain(`from ${JSON.stringify("tchannel-ts")};`);
      expect(text).toContain("export interface KeyvalueModule {");
      // Without --import: the one the project's package.json lists (this package lists neither, so the bin's own).
      expect(runTypesCli(["types", kv, "--out", out], "tchannel-ts", pkg)).toBe(0);
      expect(readFileSync(out, "utf8")).toContain(`from ${JSON.stringify("tchannel-ts")};`);
      const project = join(pkg, "test", ".typegen-project");
      mkdirSync(project, { recursive: true });
      try {
        writeFileSync(join(project, "package.json"), JSON.stringify({ dependencies: { ["tchannel-ts"]: "^0.1.0" } }));
        expect(projectImport(project, "@tchannel/thrift")).toBe("tchannel-ts");
        writeFileSync(join(project, "package.json"), JSON.stringify({ dependencies: { ["@tchannel/thrift"]: "^0.1.0" } }));
        expect(projectImport(project, "tchannel-ts")).toBe("@tchannel/thrift");
        writeFileSync(join(project, "package.json"), JSON.stringify({ dependencies: { ["@tchannel/thrift"]: "^0.1.0", ["tchannel-ts"]: "^0.1.0" } }));
        expect(projectImport(project, "@tchannel/thrift")).toBe("tchannel-ts");
        writeFileSync(join(project, "package.json"), JSON.stringify({ name: "neither" }));
        expect(projectImport(join(project), "tchannel-ts")).toBe("tchannel-ts");
      } finally {
        rmSync(project, { recursive: true, force: true });
      }
    } finally {
      rmSync(out, { force: true });
    }
    const errors = jest.spyOn(console, "error").mockImplementation(() => undefined);
    try {
      expect(runTypesCli(["types", kv, "--bogus"], "@tchannel/thrift")).toBe(2);
      expect(runTypesCli(["types", join(pkg, "test", "fixtures", "loader", "root-syntax.thrift")], "@tchannel/thrift")).toBe(1);
      expect(String(errors.mock.calls.at(-1)?.[0])).toMatch(/root-syntax\.thrift:5:4: syntax error/);
    } finally {
      errors.mockRestore();
    }
  });

  it("imports from the package named by importFrom", () => {
    const module = loadThriftSync(join(pkg, "test", "fixtures", "keyvalue.thrift"));
    expect(generateTypes(module, "KeyvalueModule", { importFrom: "tchannel-ts" })).toContain(`from ${JSON.stringify("tchannel-ts")};`);
  });

  it("emits declarations that type-check correct use and reject wrong use", () => {
    const module = loadThriftSync(join(pkg, "test", "fixtures", "kitchen.thrift"), { service: "store" });
    const text = generateTypes(module, "KitchenModule");
    expect(text).toContain("put(args: { entry: EntryInput }): ThriftRequest<bigint>;");
    expect(text).toContain("export interface shared_Missing extends ThriftException {");
    // Throws with tsc's diagnostics if anything fails: a wrong use that compiles makes its
    // expect-error directive unused, which is an error too.
    typecheckProject(join(pkg, "test", ".typegen-tmp"), { "kitchen.d.ts": text, "usage.ts": USAGE }, ["usage.ts"]);
  }, 60_000);
});
