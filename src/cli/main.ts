/** The root `loom` command. Sub-commands load lazily so `loom --version` stays fast. */
import { defineCommand, type CommandDef } from "citty";
import { LOOM_VERSION } from "../version";
import { verboseArg } from "./shared-args";

// biome-ignore lint/suspicious/noExplicitAny: each command has its own args; citty types them one by one
export type AnyCommand = CommandDef<any>;
type Loader = () => Promise<AnyCommand>;
const lazy =
  (load: () => Promise<{ default: AnyCommand }>): Loader =>
  () =>
    load().then((m) => m.default);

/** Another name for a command, as upstream's Python CLI has them (`new`, `create` for `init`). */
const alias =
  (load: Loader, name: string, of: string): Loader =>
  async () => {
    const cmd = await load();
    return { ...cmd, meta: { ...(cmd.meta as object), name, description: `The same as \`loom ${of}\` (upstream's name for it)` } };
  };

const init = lazy(() => import("./commands/init"));

export const COMMANDS: Record<string, Loader> = {
  init,
  new: alias(init, "new", "init"),
  create: alias(init, "create", "init"),
  config: lazy(() => import("./commands/config")),
  install: lazy(() => import("./commands/install")),
  cache: lazy(() => import("./commands/cache")),
  up: lazy(() => import("./commands/up")),
  run: lazy(() => import("./commands/run")),
  dev: lazy(() => import("./commands/dev")),
  serve: lazy(() => import("./commands/serve")),
  down: lazy(() => import("./commands/down")),
  status: lazy(() => import("./commands/status")),
  restart: lazy(() => import("./commands/restart")),
  stop: lazy(() => import("./commands/stop")),
  start: lazy(() => import("./commands/start")),
  logs: lazy(() => import("./commands/logs")),
  traces: lazy(() => import("./commands/traces")),
  memory: lazy(() => import("./commands/memory")),
  doctor: lazy(() => import("./commands/doctor")),
  ping: lazy(() => import("./commands/ping")),
  pub: lazy(() => import("./commands/pub")),
  sub: lazy(() => import("./commands/sub")),
  call: lazy(() => import("./commands/call")),
  chat: lazy(() => import("./commands/chat")),
  proto: lazy(() => import("./commands/proto")),
  export: lazy(() => import("./commands/export")),
  completion: lazy(() => import("./commands/completion")),
  version: lazy(() => import("./commands/version")),
};

export const main = defineCommand({
  meta: {
    name: "loom",
    version: LOOM_VERSION,
    description: "Run Loom projects: the Loom runtime and your agents",
  },
  args: { ...verboseArg },
  subCommands: COMMANDS,
});
