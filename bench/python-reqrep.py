# Request/reply between two agents written against the Bridge protocol with Debian's grpcio (the
# stubs from src/protocol/loom.proto on PYTHONPATH), as upstream's SDK does it: the request carries
# loom.correlation_id and loom.reply_to = agent.<id>.replies; the responder publishes there.
# Role "responder" answers until killed; role "requester" does N requests one after the other and
# prints the latencies' p50 and p99 in ms as JSON.
import json, os, queue, sys, threading, time, uuid
import grpc
import loom_pb2 as pb
import loom_pb2_grpc as rpc

role, n = sys.argv[1], int(sys.argv[2]) if len(sys.argv) > 2 else 0
me = f"py-{role}"
replies = f"agent.{me}.replies"
stub = rpc.BridgeStub(grpc.insecure_channel(os.environ["LOOM_BRIDGE_ADDR"]))
topics = ["bench.ask"] if role == "responder" else [replies]
assert stub.RegisterAgent(pb.AgentRegisterRequest(agent_id=me, subscribed_topics=topics)).success
outbox = queue.Queue()

def outgoing():
    yield pb.ClientEvent(ack=pb.Ack(message_id=me))
    while True:
        yield outbox.get()

def publish(topic, meta, payload=b"{}"):
    ev = pb.Event(id=str(uuid.uuid4()), type="bench", timestamp_ms=int(time.time() * 1000), source="python", metadata=meta, payload=payload)
    outbox.put(pb.ClientEvent(publish=pb.Publish(topic=topic, event=ev)))

stream = stub.EventStream(outgoing())
if role == "responder":
    print("ready", flush=True)
    for msg in stream:
        if msg.WhichOneof("msg") != "delivery" or msg.delivery.topic != "bench.ask":
            continue
        m = msg.delivery.event.metadata
        publish(m.get("loom.reply_to") or m.get("reply_to"), {"loom.correlation_id": m.get("loom.correlation_id", "")})
else:
    answers = queue.Queue()
    threading.Thread(target=lambda: [answers.put(msg.delivery.event.metadata.get("loom.correlation_id")) for msg in stream if msg.WhichOneof("msg") == "delivery"], daemon=True).start()
    time.sleep(0.3)
    times = []
    for i in range(n):
        cid = str(uuid.uuid4())
        t = time.perf_counter()
        publish("bench.ask", {"loom.correlation_id": cid, "loom.reply_to": replies})
        while answers.get(timeout=10) != cid:
            pass
        times.append((time.perf_counter() - t) * 1000)
    times.sort()
    print(json.dumps({"p50": times[len(times) // 2], "p99": times[int(len(times) * 0.99)]}), flush=True)
    os._exit(0)
