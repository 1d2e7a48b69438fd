/**
 * The image the manifests name: loom and the project in one, built from the project directory
 * with the Containerfile `loom export` writes (its build command is printed and in the README it
 * writes). loom is the entrypoint and PID 1: `loom serve` and `loom run` end on SIGTERM, and the
 * supervisor reaps what it starts. Python agents need Python and upstream's SDK: a Python base and
 * a pip install (from GitHub, at build time); TypeScript agents need nothing more (loom's Bun and
 * `loom:sdk`). The project's own .loom/, every env file and .git stay out (containerignore, and
 * Containerfile.dockerignore for Docker).
 */
import type { ExportPlan } from "./export-plan";

export const SDK_ARCHIVE = "https://github.com/loom-os/loom/archive/refs/heads/main.tar.gz#subdirectory=loom-py";

export function containerfile(plan: ExportPlan, outDir: string): string {
  const python = plan.agents.some((a) => a.python);
  const base = python ? "docker.io/library/python:3.12-slim" : "docker.io/library/debian:bookworm-slim";
  return `# Written by \`loom export\`: loom and the project in one image. Build it from the project directory:
#   podman build -f ${outDir}/Containerfile --ignorefile ${outDir}/containerignore -t IMAGE .
# (docker: the same, with the ignore file copied to .dockerignore.) BASE overrides the base image.
ARG BASE=${base}
# The build context holds loom (${outDir}/loom) beside the project: one copy of each in the image.
FROM \${BASE} AS context
COPY . /src
RUN mv /src/${outDir}/loom /loom && rm -rf /src/${outDir}

FROM \${BASE}
COPY --from=context /loom /usr/local/bin/loom
${python ? `RUN pip install --no-cache-dir "${SDK_ARCHIVE}"\n` : ""}COPY --from=context /src /app
WORKDIR /app
# loom's state directory, private to the user the containers run as.
RUN install -d -m 0700 -o 10001 -g 10001 /app/.loom
USER 10001
ENV HOME=/tmp
ENTRYPOINT ["/usr/local/bin/loom"]
CMD ["run"]
`;
}

/**
 * What the image never holds: loom's state, git, dependencies, and every env file anywhere (the
 * project's `.env*`, each export's runtime.env and agents.env, whichever target wrote them).
 */
export function containerignore(): string {
  return [".loom", ".git", "node_modules", "**/.env", "**/.env.*", "**/*.env", "**/*.env.*", "**/__pycache__", ""].join("\n");
}
