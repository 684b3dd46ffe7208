import { expect, test } from "bun:test";
import { resolve } from "node:path";
import { envVariables } from "../../src/config";

test(".env.example lists exactly the variables the config reads", async () => {
  const text = await Bun.file(resolve(import.meta.dir, "../../.env.example")).text();
  const listed = text
    .split("\n")
    .filter((line) => /^[A-Z_]+=/.test(line))
    .map((line) => line.slice(0, line.indexOf("=")));
  expect(listed.toSorted()).toEqual(envVariables.toSorted());
});
