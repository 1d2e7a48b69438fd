"""Crashes on its first start (to show loom's restart), then stays up."""
import os, sys, time

marker = os.path.join(os.getcwd(), ".loom", "flaky-crashed")
if not os.path.exists(marker):
    open(marker, "w").close()
    print("flaky: ConnectionRefusedError: [Errno 111] Connection refused", file=sys.stderr, flush=True)
    sys.exit(1)
print("flaky: up on the second try", flush=True)
while True:
    time.sleep(1)
