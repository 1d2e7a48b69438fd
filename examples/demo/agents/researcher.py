"""A Python agent: reads what loom hands it and reports in."""
import os, signal, sys, time

name = os.environ["LOOM_AGENT_NAME"]
print(f"{name}: connecting to the bridge at {os.environ['LOOM_BRIDGE_ADDR']} (model {os.environ.get('LOOM_LLM_MODEL')})", flush=True)
signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
signal.signal(signal.SIGINT, lambda *_: (print(f"{name}: bye", flush=True), sys.exit(0)))
while True:
    time.sleep(2)
    print(f"{name}: researching...", flush=True)
