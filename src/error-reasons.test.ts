import { readFileSync } from "node:fs";
import { expect, it } from "vitest";
import { ERROR_REASONS } from "./error-reasons.js";

it("README's error reasons table is the registry: every reason, its code and when it comes, and no other", () => {
  const readme = readFileSync(new URL("../README.md", import.meta.url), "utf8");
  const section = readme.slice(readme.indexOf("### Error reasons"));
  const rows = [...section.slice(0, section.indexOf("\n\n", section.indexOf("| reason |"))).matchAll(/^\| `([A-Z_]+)` \| (.+?) \| (.+?) \|$/gm)];
  expect(rows.map(([, reason, code, when]) => [reason, { code, when }])).toEqual(Object.entries(ERROR_REASONS));
});
