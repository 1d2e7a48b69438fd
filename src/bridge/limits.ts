/**
 * Every state a caller of the embedded Bridge can grow, bounded in bytes or count, in one place
 * (docs/security.md "Memory a caller can grow"; measured in bench/bridge-floods.ts).
 */

/** As upstream: each stream has an outbound channel of 512, each subscription one of 2,048. */
export const STREAM_QUEUE = 512;
export const SUBSCRIPTION_QUEUE = 2_048;
/** Bytes queued for one stream before its publishers wait. */
export const STREAM_QUEUE_BYTES = 4 * 1024 * 1024;
/** Bytes queued for all streams together before every publisher waits. */
export const TOTAL_QUEUE_BYTES = 64 * 1024 * 1024;
/** Bytes of gRPC messages received and not yet whole, over every call (net/grpc-server.ts). */
export const PARTIAL_MESSAGE_BYTES = 64 * 1024 * 1024;
/** Bytes handed to the gRPC server for one stream and not yet written to its connection. */
export const IN_FLIGHT_BYTES = 1024 * 1024;
/**
 * A stream whose queue is full and that took nothing for this long is cut off (RESOURCE_EXHAUSTED)
 * so that its publishers go on: a subscriber that stopped reading, not one that is slow.
 */
export const STALLED_STREAM_MS = 30_000;

/** Event payload bytes received between two garbage collections the Bridge asks for (server.ts). */
export const GC_EVERY_BYTES = 4 * 1024 * 1024;

/** A registration with no open stream is forgotten after this long. */
export const REGISTRATION_TTL_MS = 60_000;
/** Registrations with no open stream kept at most (the oldest goes first). */
export const MAX_IDLE_REGISTRATIONS = 1_000;
/** One registration's topics, tools and metadata, in bytes as received. */
export const MAX_REGISTRATION_BYTES = 256 * 1024;
export const MAX_STREAMS = 10_000;

/** Tool calls sent to agents and not yet answered, and the bytes of their arguments together. */
export const MAX_PENDING_CALLS = 10_000;
export const MAX_PENDING_CALL_BYTES = 32 * 1024 * 1024;
/** A built-in tool's reply as JSON: within one 4 MB gRPC message with its envelope. */
export const MAX_TOOL_OUTPUT_BYTES = 3 * 1024 * 1024;
/** fs:read_file reads at most this much (its JSON reply may grow with escapes; the cap above decides). */
export const READ_FILE_BYTES = 2 * 1024 * 1024;
/** system:shell commands running at once (each further call waits for a slot, within its deadline), and each stream's output kept. */
export const SHELL_CONCURRENCY = 4;
export const SHELL_OUTPUT_BYTES = 512 * 1024;
/** A topic name, in bytes: it is a key of several maps (flow, subscriptions); a longer publish ends its stream (INVALID_ARGUMENT). */
export const MAX_TOPIC_BYTES = 1024;
/** The dashboard's flow tracker (what /api/flow answers), in bytes of ids and topics. */
export const MAX_FLOW_BYTES = 1024 * 1024;
/** ToolCall.timeout_ms is clamped to this (a larger value overflowed the timer). */
export const MAX_TOOL_TIMEOUT_MS = 60 * 60 * 1000;

/** MemoryService: one string field, sessions kept, and all of it together. */
export const MEMORY_MAX_FIELD_BYTES = 64 * 1024;
export const MEMORY_MAX_SESSIONS = 1_000;
export const MEMORY_MAX_BYTES = 32 * 1024 * 1024;

/** The dashboard's event stream: bytes queued for one client before it is cut off. */
export const SSE_CLIENT_BYTES = 4 * 1024 * 1024;
export const SSE_MAX_CLIENTS = 64;
