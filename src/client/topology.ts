/**
 * Who registered with the Bridge, as `loom run --wait-agents` and a detached start ask it: the
 * embedded Bridge's `loom.embedded.v1.Admin/Topology` over the owner's socket (raw HTTP/2,
 * net/health.ts, so a background supervisor need not load grpc-js), or a native runtime's
 * dashboard `/api/topology`. Either answer is parsed: only the fields loom reads, each checked.
 */
import { z } from "zod";
import { ADMIN_TOPOLOGY_PATH } from "../constants";
import { grpcJsonCall } from "../net/health";

const RegisteredSchema = z.object({
  agents: z.array(
    z.object({
      id: z.string(),
      /** False for an agent registered whose stream is closed; a native runtime may not say. */
      connected: z.boolean().optional(),
      /** Open streams of the id (replicas share it); only the embedded Bridge says. */
      streams: z.number().int().nonnegative().optional(),
    }),
  ),
});

export type Registered = z.infer<typeof RegisteredSchema>;

const parsed = (answer: unknown): Registered | undefined => {
  const r = RegisteredSchema.safeParse(answer);
  return r.success ? r.data : undefined;
};

/** The embedded Bridge's answer over its socket, or undefined when it does not answer in time. */
export async function askTopology(socket: string, timeoutMs = 1_000): Promise<Registered | undefined> {
  return parsed(await grpcJsonCall(`unix:${socket}`, ADMIN_TOPOLOGY_PATH, {}, timeoutMs));
}

/** A dashboard's `/api/topology` (the native runtime's), or undefined. */
export async function dashboardTopology(dashboard: string, timeoutMs = 1_000): Promise<Registered | undefined> {
  try {
    const r = await fetch(`${dashboard}/api/topology`, { signal: AbortSignal.timeout(timeoutMs) });
    return r.ok ? parsed(await r.json()) : undefined;
  } catch {
    return undefined;
  }
}
