import { IMPLEMENTATIONS, type Implementation, isImplementation } from "./implementations.js";

/** The streamed cell of issue 18: one 64 MiB body at a time, raw and streamed, against the floor. */
export const STREAM_CELL: Cell = { concurrency: 1, size: 64 * 1024 * 1024, impls: ["ours-raw", "ours-stream", "node-raw", "bare-net"] };

export interface Cell {
  concurrency: number;
  size: number;
  /** Only these implementations run in this cell (default: every one chosen). */
  impls?: readonly Implementation[];
}

export interface BenchOptions {
  impls: Implementation[];
  cells: Cell[];
  warmupMs: number;
  measureMs: number;
  repeats: number;
  /** Where the .json and .md reports go. */
  outDir: string;
  /** The file name stem of the reports. */
  name: string;
  short: boolean;
  /**
   * Node lines (majors) to run every implementation on, interleaved in one run (`--node 24,20`):
   * each is the pinned version scripts/install-node.sh installs. Empty: the Node running main.js.
   */
  nodes: string[];
}

export const CONCURRENCIES = [1, 32, 256];
export const SIZES = [64, 4096, 256 * 1024];
/** 1 MiB messages at C=1 and C=32 (issue 18); at C=256 that would be 256 MiB in flight each way. */
export const EXTRA_CELLS: readonly Cell[] = [
  { concurrency: 1, size: 1024 * 1024 },
  { concurrency: 32, size: 1024 * 1024 },
  STREAM_CELL,
];

const USAGE = `usage: node dist/main.js [--short] [--impl a,b] [--cells CxS,...] [--node 24,20] [--warmup ms] [--measure ms] [--repeats n] [--out dir]
  --short      a CI smoke run: 300 ms warm-up, 700 ms window, 1 repeat
  --impl       some of ${IMPLEMENTATIONS.join(", ")} (default all)
  --cells      e.g. 32x64,256x256k (sizes take k for KiB, m for MiB; default {1,32,256} x {64, 4k, 256k}, 1x1m, 32x1m, and 1x64m for ours-raw, ours-stream, node-raw, bare-net)
  --warmup     default 1000      --measure   default 2000      --repeats  default 3
  --out        directory for bench-<mode>.json and .md (default results/)`;

function parseSize(s: string): number {
  const m = /^(\d+)([km]?)$/i.exec(s);
  if (!m) throw new Error(`bad size ${JSON.stringify(s)}\n${USAGE}`);
  const unit = m[2]?.toLowerCase();
  return Number(m[1]) * (unit === "m" ? 1024 * 1024 : unit === "k" ? 1024 : 1);
}

function parseCells(s: string): Cell[] {
  return s.split(",").map((cell) => {
    const [c, size] = cell.split("x");
    const concurrency = Number(c);
    if (!Number.isInteger(concurrency) || concurrency < 1 || size === undefined) throw new Error(`bad cell ${JSON.stringify(cell)}\n${USAGE}`);
    return { concurrency, size: parseSize(size) };
  });
}

export function parseBenchOptions(argv: readonly string[], defaultOutDir: string): BenchOptions {
  const short = argv.includes("--short");
  const options: BenchOptions = {
    impls: [...IMPLEMENTATIONS],
    cells: [...CONCURRENCIES.flatMap((concurrency) => SIZES.map((size) => ({ concurrency, size }))), ...EXTRA_CELLS],
    // 63 runs per repeat: 1 s + 2 s keeps a full `pnpm bench` (with the other packages' benches)
    // under ~15 minutes on a 2-core machine.
    warmupMs: short ? 300 : 1000,
    measureMs: short ? 700 : 2000,
    repeats: short ? 1 : 3,
    outDir: defaultOutDir,
    name: short ? "bench-short" : "bench",
    short,
    nodes: [],
  };
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i]!;
    if (flag === "--short") continue;
    if (flag === "--help" || flag === "-h") {
      process.stdout.write(`${USAGE}\n`);
      process.exit(0);
    }
    const value = argv[++i];
    if (value === undefined) throw new Error(`${flag} needs a value\n${USAGE}`);
    switch (flag) {
      case "--impl": {
        const impls = value.split(",");
        for (const impl of impls) if (!isImplementation(impl)) throw new Error(`unknown implementation ${JSON.stringify(impl)}\n${USAGE}`);
        options.impls = impls as Implementation[];
        options.name = `${options.name}-partial`;
        break;
      }
      case "--cells":
        options.cells = parseCells(value);
        options.name = options.name.endsWith("-partial") ? options.name : `${options.name}-partial`;
        break;
      case "--node":
        options.nodes = value.split(",");
        if (options.nodes.some((n) => !/^\d+$/.test(n))) throw new Error(`--node wants Node majors, e.g. 24,20\n${USAGE}`);
        options.name = `${options.name}-node-${options.nodes.join("-")}`;
        break;
      case "--warmup":
        options.warmupMs = Number(value);
        break;
      case "--measure":
        options.measureMs = Number(value);
        break;
      case "--repeats":
        options.repeats = Number(value);
        break;
      case "--out":
        options.outDir = value;
        break;
      default:
        throw new Error(`unknown flag ${flag}\n${USAGE}`);
    }
  }
  return options;
}

export function formatSize(size: number): string {
  if (size >= 1024 * 1024 && size % (1024 * 1024) === 0) return `${size / (1024 * 1024)} MiB`;
  return size >= 1024 && size % 1024 === 0 ? `${size / 1024} KiB` : `${size} B`;
}
