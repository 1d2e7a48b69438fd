/**
 * A failed gRPC call as a person reads it: grpc-js says "No connection established. Last error:
 * Error: connect ECONNREFUSED 127.0.0.1:1. Resolution note: " where loom says "connection refused".
 */
import type * as grpc from "@grpc/grpc-js";

export function explainGrpc(error: Partial<grpc.ServiceError> & Error): string {
  const text = error.details || error.message;
  const cause = (/Last error: (?:Error: )?(.*?)(?:\.\s*Resolution note:.*)?$/s.exec(text)?.[1] ?? text).trim();
  if (/ECONNREFUSED/.test(cause)) return "connection refused: nothing listens there";
  if (/ENOENT/.test(cause)) return "no such socket";
  if (/EACCES|EPERM/.test(cause)) return "permission denied: the socket belongs to another user";
  if (/ECONNRESET|socket hang up|Connection dropped|closed/i.test(cause))
    return "the connection was closed at once (an embedded Bridge closes connections of users other than its owner)";
  if (error.code === 4) return "no answer in time";
  return cause.replace(/\.\s*$/, "");
}
