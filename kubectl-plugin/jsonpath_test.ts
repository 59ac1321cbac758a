import assert from "node:assert/strict";
import { customColumns, jsonpath } from "./jsonpath.ts";

const LIST = {
  kind: "List",
  items: [
    {
      metadata: { name: "a", labels: { "app.kubernetes.io/name": "x" } },
      status: { conditions: [{ type: "Ready", status: "True" }] },
    },
    {
      metadata: { name: "b" },
      status: { conditions: [{ type: "Other", status: "False" }, { type: "Ready", status: "False" }] },
    },
  ],
};

Deno.test("jsonpath(): fields, [*], [n], filters, quoted keys, range, literals, recursion", () => {
  assert.equal(jsonpath("{.items[*].metadata.name}", LIST), "a b");
  assert.equal(jsonpath("{.items[0].metadata.name}", LIST), "a");
  assert.equal(jsonpath("{.items[-1].metadata.name}", LIST), "b");
  assert.equal(
    jsonpath(`{.items[?(@.metadata.name=="b")].status.conditions[?(@.type=="Ready")].status}`, LIST),
    "False",
  );
  assert.equal(jsonpath(`{.items[0].metadata.labels['app.kubernetes.io/name']}`, LIST), "x");
  assert.equal(
    jsonpath(
      `{range .items[*]}{.metadata.name}{"\\t"}{.status.conditions[?(@.type=="Ready")].status}{"\\n"}{end}`,
      LIST,
    ),
    "a\tTrue\nb\tFalse\n",
  );
  assert.equal(jsonpath("{..name}", LIST), "a b");
  assert.equal(
    jsonpath("name: {.items[0].metadata}", LIST),
    `name: {"name":"a","labels":{"app.kubernetes.io/name":"x"}}`,
  );
  assert.throws(() => jsonpath("{range .items[*]}{.x}", LIST), /without \{end\}/);
});

Deno.test("customColumns(): headers as given, <none> for missing values, --no-headers", () => {
  const spec = `NAME:.metadata.name,READY:.status.conditions[?(@.type=="Ready")].status,APP:{.metadata.labels.app}`;
  assert.equal(
    customColumns(spec, LIST.items, false),
    "NAME   READY   APP\na      True    <none>\nb      False   <none>",
  );
  assert.equal(customColumns("N:metadata.name", LIST.items, true), "a\nb");
  assert.throws(() => customColumns("nocolon", LIST.items, false), /HEADER:PATH/);
});
