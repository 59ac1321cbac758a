/** The securityContext → podman mapping the container test relies on: nothing may be dropped silently. */
import assert from "node:assert/strict";
import { envArgs, securityArgs, volumeArgs } from "./pod.ts";

Deno.test("securityArgs: the restricted profile's fields become podman's confinement flags", () => {
  assert.deepEqual(
    securityArgs(
      { runAsNonRoot: true, seccompProfile: { type: "RuntimeDefault" } },
      { allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, capabilities: { drop: ["ALL"] } },
      "65532:65532",
    ),
    ["--security-opt", "no-new-privileges", "--read-only", "--read-only-tmpfs=false", "--cap-drop", "ALL"],
  );
  assert.deepEqual(securityArgs({ runAsUser: 1000, fsGroup: 2000 }, { runAsGroup: 3000 }), [
    "--user",
    "1000:3000",
    "--group-add",
    "2000",
  ]);
  assert.deepEqual(securityArgs({ seccompProfile: { type: "Unconfined" } }), ["--security-opt", "seccomp=unconfined"]);
});

Deno.test("securityArgs: refuses what it cannot honour, and runAsNonRoot as the kubelet checks it", () => {
  assert.throws(() => securityArgs({ runAsNonRoot: true }, {}, ""), /not a numeric non-root UID/);
  assert.throws(() => securityArgs({ runAsNonRoot: true }, {}, "0:0"), /not a numeric non-root UID/);
  assert.throws(() => securityArgs({ runAsNonRoot: true }, {}, "nonroot"), /not a numeric non-root UID/);
  assert.throws(() => securityArgs({ runAsNonRoot: true, runAsUser: 0 }, {}, "65532:65532"), /non-root/);
  assert.throws(() => securityArgs({}, { seLinuxOptions: {} }), /seLinuxOptions is not supported/);
  assert.throws(() => securityArgs({ sysctls: [] }), /sysctls is not supported/);
  assert.throws(() => securityArgs({}, { privileged: true }), /privileged/);
  assert.throws(() => securityArgs({ seccompProfile: { type: "Localhost" } }), /Localhost/);
});

Deno.test("volumeArgs and envArgs: emptyDir, hostPath, the namespace fieldRef; anything else is an error", () => {
  const pod = {
    volumes: [{ name: "tmp", emptyDir: {} }, { name: "ca", hostPath: { path: "/x" } }, { name: "s", secret: {} }],
  };
  assert.deepEqual(
    volumeArgs(
      pod as never,
      { volumeMounts: [{ name: "tmp", mountPath: "/tmp" }, { name: "ca", mountPath: "/ca", readOnly: true }] } as never,
    ),
    ["--tmpfs", "/tmp:rw,mode=1777", "-v", "/x:/ca:ro"],
  );
  assert.throws(
    () => volumeArgs(pod as never, { volumeMounts: [{ name: "s", mountPath: "/s" }] } as never),
    /only emptyDir/,
  );
  assert.deepEqual(
    envArgs(
      {
        env: [{ name: "A", value: "1" }, { name: "NS", valueFrom: { fieldRef: { fieldPath: "metadata.namespace" } } }],
      } as never,
      "ops",
    ),
    ["-e", "A=1", "-e", "NS=ops"],
  );
  assert.throws(
    () => envArgs({ env: [{ name: "B", valueFrom: { secretKeyRef: {} } }] } as never, "ops"),
    /only values/,
  );
});
