// A TypeScript agent: run by the loom executable itself, no Node or Bun needed on the machine.
const name = process.env.LOOM_AGENT_NAME;
console.log(`${name}: ready to write, traces go to ${process.env.OTEL_EXPORTER_OTLP_ENDPOINT} as ${process.env.OTEL_SERVICE_NAME}`);
const timer = setInterval(() => console.log(`${name}: drafting...`), 2500);
for (const signal of ["SIGTERM", "SIGINT"] as const)
  process.on(signal, () => {
    clearInterval(timer);
    console.log(`${name}: bye`);
    process.exit(0);
  });
