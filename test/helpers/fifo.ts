/** mkfifo(3) through Bun's FFI, so unit tests make a named pipe without a child process. */
import { dlopen, FFIType } from "bun:ffi";

export function mkfifo(path: string): void {
  const { symbols } = dlopen(process.platform === "darwin" ? "libSystem.B.dylib" : "libc.so.6", { mkfifo: { args: [FFIType.cstring, FFIType.u32], returns: FFIType.i32 } });
  if (symbols.mkfifo(Buffer.from(`${path}\0`), 0o600) !== 0) throw new Error(`mkfifo ${path} failed`);
}
