from apigw_management import Client
from apigw_management.testing import LocalGateway  # a local API Gateway for this demo

with LocalGateway() as gw:
    ws = gw.connect()  # a real WebSocket client; in production, your users' browsers
    client = Client(gw.endpoint, region="us-east-1", credentials=gw.credentials)
    client.post_to_connection(ws.connection_id, "hello")
    print(ws.receive())  # hello
    print(client.get_connection(ws.connection_id).identity.source_ip)  # 127.0.0.1
    print(client.broadcast(gw.connection_ids(), b"to everyone"))
