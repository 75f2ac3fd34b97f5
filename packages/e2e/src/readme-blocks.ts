// The TypeScript blocks of a README as modules to type-check. Each ```ts block is a module of its
// own, unless markers (HTML comments, invisible on GitHub and npm) right before it say otherwise:
//   <!-- continues -->          the block goes on the module of the block before it (a guide in steps)
//   <!-- prelude                 code put before the block, for what the prose around it assumes
//   declare const client: TChannel;
//   -->
export interface ReadmeModule {
  /** The README line of the module's first block. */
  line: number;
  source: string;
}

const FENCE_OPEN = /^```(ts|typescript)\s*$/;

export function readmeModules(markdown: string): ReadmeModule[] {
  const lines = markdown.split("\n");
  const modules: ReadmeModule[] = [];
  let between: string[] = [];
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!;
    if (line.startsWith("```") && !FENCE_OPEN.test(line)) {
      // Another language: skip to its closing fence.
      for (i++; i < lines.length && !lines[i]!.startsWith("```"); i++);
      between = [];
      continue;
    }
    if (!FENCE_OPEN.test(line)) {
      between.push(line);
      continue;
    }
    const body: string[] = [];
    for (i++; i < lines.length && !lines[i]!.startsWith("```"); i++) body.push(lines[i]!);
    const gap = between.join("\n");
    between = [];
    const prelude = /<!--\s*prelude\n([\s\S]*?)-->/.exec(gap)?.[1] ?? "";
    const code = `${prelude}${body.join("\n")}\n`;
    const previous = modules[modules.length - 1];
    if (/<!--\s*continues\s*-->/.test(gap) && previous) previous.source += code;
    else modules.push({ line: i - body.length, source: code });
  }
  return modules;
}

/** The ```thrift, ```sh ... blocks of a README, by language. */
export function fencedBlocks(markdown: string, language: string): string[] {
  const blocks: string[] = [];
  const pattern = new RegExp("^```" + language + "\\s*\\n([\\s\\S]*?)^```", "gm");
  for (const match of markdown.matchAll(pattern)) blocks.push(match[1]!);
  return blocks;
}
