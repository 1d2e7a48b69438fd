/**
 * Python clients of the Bridge protocol for the tests and bench/bridge.ts: Debian's grpcio for
 * /usr/bin/python3, and stubs that protoc and grpc_python_plugin make from src/protocol/loom.proto
 * (installed by .ci/run when missing).
 */
import { join, resolve } from "pathe";

export const DEBIAN_PYTHON = "/usr/bin/python3";
const PROTO_DIR = resolve(import.meta.dir, "../src/protocol");

/** True when grpcio imports in Debian's Python and protoc with its gRPC plugin are installed. */
export function pythonGrpcReady(): boolean {
  return Bun.which("protoc") !== null && Bun.which("grpc_python_plugin") !== null && Bun.spawnSync([DEBIAN_PYTHON, "-c", "import grpc"], { stderr: "ignore" }).exitCode === 0;
}

/** Writes loom_pb2.py and loom_pb2_grpc.py into `dir` (put it on PYTHONPATH). */
export function makePythonStubs(dir: string): string {
  const r = Bun.spawnSync([
    "protoc",
    `-I${PROTO_DIR}`,
    `--python_out=${dir}`,
    `--grpc_python_out=${dir}`,
    `--plugin=protoc-gen-grpc_python=${Bun.which("grpc_python_plugin")}`,
    join(PROTO_DIR, "loom.proto"),
  ]);
  if (r.exitCode !== 0) throw new Error(`protoc failed: ${r.stderr}`);
  return dir;
}
