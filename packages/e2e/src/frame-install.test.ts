// A user who wants only the wire codec: `npm install` of the @tchannel/frame tarball alone pulls in
// nothing else of ours (and none of the upper layers' third-party dependencies), and works.
import { afterAll, beforeAll, describe, expect, it } from "@jest/globals";
import { ChecksumType, EMPTY_TRACING, FrameType, decodeFrame, encodeFrame } from "@tchannel/frame";
import { copyFile, mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, sep } from "node:path";
import { declaredPackages } from "./declared-packages.js";
import { type PackedPackage, packAll, tarballsFor } from "./pack.js";
import { E2E_DIR, isOurPackage } from "./published-packages.js";
import { runCommand } from "./run-command.js";
import { type UserProject, createUserProject, userEnv } from "./user-project.js";

const FRAME = "@tchannel/frame";

let packDir: string;
let packed: Map<string, PackedPackage>;
let project: UserProject;
let withoutOptional: UserProject;

beforeAll(async () => {
  packDir = await mkdtemp(join(tmpdir(), "tchannel-e2e-pack-"));
  packed = await packAll((await declaredPackages()).packable, packDir);
  project = await createUserProject("frame");
  const installMs = await project.install(tarballsFor(FRAME, packed));
  console.log(`npm install of ${FRAME} alone: ${installMs} ms`);
  await copyFile(join(E2E_DIR, "fixtures", "frame-roundtrip.mjs"), join(project.dir, "frame-roundtrip.mjs"));
  withoutOptional = await createUserProject("frame-no-optional");
  await withoutOptional.install(tarballsFor(FRAME, packed), ["--omit=optional"]);
  await copyFile(join(E2E_DIR, "fixtures", "frame-roundtrip.mjs"), join(withoutOptional.dir, "frame-roundtrip.mjs"));
});

interface RoundTrip {
  checksums: Record<string, { decodedType: number; checksum: number | null; service: string; arg3Length: number; arg3Intact: boolean }>;
  checkValues: { Crc32: number; Crc32C: number };
  native: boolean;
  resolved: string;
}

async function roundTrip(dir: string): Promise<RoundTrip> {
  const { stdout } = await runCommand(process.execPath, ["frame-roundtrip.mjs"], { cwd: dir, env: userEnv(), timeoutMs: 30000 });
  return JSON.parse(stdout.trim().split("\n").pop()!) as RoundTrip;
}

afterAll(async () => {
  await project?.remove();
  await withoutOptional?.remove();
  if (packDir) await rm(packDir, { recursive: true, force: true });
});

describe("npm install of @tchannel/frame alone", () => {
  it("needs no other tarball of ours", () => {
    expect(tarballsFor(FRAME, packed).map((p) => p.name)).toEqual([FRAME]);
  });

  it("puts nothing else of ours in node_modules or the lockfile", async () => {
    expect((await project.installedPackages()).filter(isOurPackage)).toEqual([FRAME]);
    const lock = await project.lockfilePackages();
    const ours = Object.keys(lock).filter((path) => path !== "" && isOurPackage(path.replace(/^.*node_modules\//, "")));
    expect(ours).toEqual([`node_modules/${FRAME}`]);
    expect(lock[`node_modules/${FRAME}`]!.resolved).toMatch(/^file:tarballs\/tchannel-frame-[^/]+\.tgz$/);
  });

  it("brings none of the other packages' own third-party dependencies", async () => {
    const frameDeps = new Set(Object.keys(packed.get(FRAME)!.manifest.dependencies ?? {}));
    const upper = new Set<string>();
    for (const pkg of packed.values()) {
      if (pkg.name === FRAME) continue;
      for (const dep of Object.keys(pkg.manifest.dependencies ?? {})) if (!isOurPackage(dep) && !frameDeps.has(dep)) upper.add(dep);
    }
    expect(upper.size).toBeGreaterThan(0); // zod, thriftrw, commander, ...
    const installed = new Set(await project.installedPackages());
    expect([...upper].filter((dep) => installed.has(dep))).toEqual([]);
    for (const dep of frameDeps) expect(installed.has(dep)).toBe(true);
  });

  it("encodes and decodes frames with every checksum type from that folder, as the workspace's codec does", async () => {
    const result = await roundTrip(project.dir);
    expect(result.native).toBe(true);
    expect(result.resolved.startsWith(join(project.dir, "node_modules", "@tchannel", "frame") + sep)).toBe(true);
    // The standard check values of CRC-32 and CRC-32C over "123456789".
    expect(result.checkValues).toEqual({ Crc32: 0xcbf43926, Crc32C: 0xe3069283 });

    // The same frames through the workspace's codec (its sources) give the same checksums.
    const body = Buffer.alloc(4000, "tchannel ");
    expect(Object.keys(result.checksums).sort()).toEqual(Object.keys(ChecksumType).sort());
    for (const [name, type] of Object.entries(ChecksumType)) {
      const frame = decodeFrame(
        encodeFrame({
          type: FrameType.CallReq,
          id: 7,
          flags: 0,
          ttl: 1000,
          tracing: EMPTY_TRACING,
          service: "keyvalue-server",
          headers: { as: "raw", cn: "frame-user" },
          checksumType: type,
          args: [Buffer.from("echo"), Buffer.from(""), body],
        }),
      );
      if (frame.type !== FrameType.CallReq) throw new Error("expected a call req");
      expect(result.checksums[name]).toEqual({
        decodedType: type,
        checksum: frame.checksum ?? null,
        service: "keyvalue-server",
        arg3Length: body.length,
        arg3Intact: true,
      });
      if (type !== ChecksumType.None) expect(result.checksums[name]!.checksum).not.toBe(0);
    }
  });
});

describe("npm install --omit=optional of @tchannel/frame (no native @node-rs/crc32)", () => {
  it("leaves the native CRC module out", async () => {
    const installed = await withoutOptional.installedPackages();
    expect(installed).toContain(FRAME);
    expect(installed.filter((name) => name.startsWith("@node-rs/"))).toEqual([]);
  });

  it("still loads, and computes the same checksums with the portable fallback", async () => {
    const [fallback, native] = await Promise.all([roundTrip(withoutOptional.dir), roundTrip(project.dir)]);
    expect(fallback.native).toBe(false);
    expect(fallback.checkValues).toEqual({ Crc32: 0xcbf43926, Crc32C: 0xe3069283 });
    expect(fallback.checksums).toEqual(native.checksums);
  });
});
