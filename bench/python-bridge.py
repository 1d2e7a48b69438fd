"""A Python grpcio stand-in for the Bridge (the Rust runtime cannot be built here), for bench/bridge.ts:
RegisterAgent, EventStream with the Ack handshake and the same topic forwarding as loom's embedded
Bridge, Heartbeat. Stubs from src/protocol/loom.proto on PYTHONPATH; listens on LOOM_BRIDGE_ADDR."""
import os, queue, threading, time
from concurrent import futures
import grpc
import loom_pb2 as pb
import loom_pb2_grpc as rpc

def matches(pattern, topic):
    return topic.startswith(pattern[:-1]) if pattern.endswith(".*") else pattern == topic

class Bridge(rpc.BridgeServicer):
    def __init__(self):
        self.topics, self.subs, self.lock = {}, {}, threading.Lock()

    def RegisterAgent(self, request, context):
        if not request.agent_id:
            return pb.AgentRegisterResponse(success=False, error_message="agent_id is empty")
        self.topics[request.agent_id] = list(request.subscribed_topics)
        return pb.AgentRegisterResponse(success=True)

    def Heartbeat(self, request, context):
        return pb.HeartbeatResponse(timestamp_ms=int(time.time() * 1000), status="ok")

    def EventStream(self, request_iterator, context):
        out = queue.Queue(maxsize=512)
        me = None
        def read():
            nonlocal me
            for message in request_iterator:
                kind = message.WhichOneof("msg")
                if me is None:
                    me = message.ack.message_id
                    with self.lock:
                        self.subs[me] = (self.topics.get(me, []), out)
                elif kind == "publish":
                    with self.lock:
                        targets = list(self.subs.values())
                    for patterns, q in targets:
                        for p in patterns:
                            if matches(p, message.publish.topic):
                                q.put(pb.ServerEvent(delivery=pb.Delivery(topic=p, event=message.publish.event)))
                                break
            out.put(None)
        threading.Thread(target=read, daemon=True).start()
        while True:
            item = out.get()
            if item is None:
                return
            yield item

server = grpc.server(futures.ThreadPoolExecutor(max_workers=256))
rpc.add_BridgeServicer_to_server(Bridge(), server)
server.add_insecure_port(os.environ["LOOM_BRIDGE_ADDR"])
server.start()
print("python bridge ready", flush=True)
server.wait_for_termination()
