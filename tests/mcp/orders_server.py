"""A real MCP server for Clef's client tests, built on the official Python SDK (`mcp` on PyPI):
an order desk with one tool that reads and one that changes something. Every call it receives
is appended to the JSON-lines file named by ORDERS_CALL_LOG, so the tests see what arrived.

    python orders_server.py                 # stdio
    python orders_server.py --http PORT     # Streamable HTTP on 127.0.0.1:PORT/mcp
"""

import argparse
import json
import os

from mcp.server.mcpserver import MCPServer
from mcp.server.mcpserver.exceptions import ToolError

ORDERS = {
    "A-1042": "shipped on 3 December by courier, arriving 9 December",
    "B-7": "waiting for payment",
}

server = MCPServer("orders")


def log_call(tool: str, arguments: dict) -> None:
    path = os.environ.get("ORDERS_CALL_LOG")
    if path:
        with open(path, "a", encoding="utf-8") as log:
            log.write(json.dumps({"tool": tool, "arguments": arguments}) + "\n")


@server.tool()
def lookup_order(order_id: str) -> str:
    """Look up an order by its number and say where it is."""
    log_call("lookup_order", {"order_id": order_id})
    status = ORDERS.get(order_id.strip().upper())
    if status is None:
        raise ToolError(f"no order {order_id}")
    return f"Order {order_id}: {status}."


@server.tool()
def cancel_order(order_id: str, reason: str = "") -> str:
    """Cancel an order."""
    log_call("cancel_order", {"order_id": order_id, "reason": reason})
    return f"Order {order_id} cancelled."


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--http", type=int)
    args = parser.parse_args()
    if args.http:
        server.run("streamable-http", host="127.0.0.1", port=args.http)
    else:
        server.run()
