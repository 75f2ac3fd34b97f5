// The published packages these tests pack. Each must also be a devDependency of this package:
// that is what makes turbo build it (`test` dependsOn `^build`, see turbo.json) before the
// tests pack its dist/.
import { E2E_DIR, type WorkspacePackage, publishedPackages, readManifest } from "./published-packages.js";

export interface DeclaredPackages {
  /** Published and declared: safe to pack (turbo built them). */
  packable: WorkspacePackage[];
  /** Published but not declared here: their dist/ may be missing or stale. */
  undeclared: string[];
}

export async function declaredPackages(): Promise<DeclaredPackages> {
  const devDependencies = readManifest(E2E_DIR).devDependencies ?? {};
  const published = await publishedPackages();
  return {
    packable: published.filter((pkg) => pkg.name in devDependencies),
    undeclared: published.filter((pkg) => !(pkg.name in devDependencies)).map((pkg) => pkg.name),
  };
}
