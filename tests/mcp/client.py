"""Drive `clef mcp` with the official Python MCP SDK, as any MCP client would.

Usage: client.py --mode MODE --steps STEPS_JSON (--http URL --token TOKEN | --stdio CLEF [ARGS...])

STEPS_JSON is a list of calls: {"tool": name, "args": {...}, "refs": {"target": "text"}} where
each `refs` entry is replaced by the ref of the first line of the last snapshot text that
contains that text (so the test names elements as a model reading the snapshot would).
{"list_tools": true} lists the tools; a step's "recover" call is made, and the step retried once,
when the step fails. Prints one JSON report on stdout: per step, whether it
failed (isError or a protocol error), its text, and the progress messages received.
"""

import argparse
import asyncio
import json
import os
import re
import sys
import time

from mcp import Client
from mcp.client.stdio import StdioServerParameters
from mcp.client.streamable_http import streamable_http_client
from mcp.shared._httpx_utils import create_mcp_http_client
from mcp_types import Implementation


def ref_for(snapshot: str, wanted: str) -> str:
    for line in snapshot.splitlines():
        if wanted in line:
            found = re.search(r"\[ref=([A-Za-z0-9]+)\]", line)
            if found:
                return found.group(1)
    raise LookupError(f"no ref for {wanted!r} in the snapshot:\n{snapshot}")


async def run(args, steps):
    if args.stdio:
        # As a client's "env" setting would: the server sees this test's environment.
        server = StdioServerParameters(command=args.stdio[0], args=args.stdio[1:], env=dict(os.environ))
    else:
        http = create_mcp_http_client(headers={"Authorization": f"Bearer {args.token}"})
        server = streamable_http_client(args.http, http_client=http)
    report = []
    last_text = ""
    async with Client(
        server,
        mode=args.mode,
        client_info=Implementation(name="clef-e2e-client", version="1.0"),
    ) as client:
        for step in steps:
            if step.get("list_tools"):
                listed = await client.list_tools()
                report.append(
                    {
                        "tools": [
                            {
                                "name": tool.name,
                                "readOnly": bool(tool.annotations and tool.annotations.read_only_hint),
                                "properties": sorted((tool.input_schema or {}).get("properties", {}).keys()),
                            }
                            for tool in listed.tools
                        ]
                    }
                )
                continue
            call_args = dict(step.get("args", {}))
            try:
                for key, wanted in step.get("refs", {}).items():
                    call_args[key] = ref_for(last_text, wanted)
            except LookupError as error:
                report.append({"error": True, "text": str(error), "progress": []})
                continue
            progress = []

            async def on_progress(value, total, message):
                progress.append(message)

            started = time.perf_counter()
            try:
                # A call that never answers is reported, not waited for forever.
                result = await client.call_tool(
                    step["tool"], call_args, read_timeout_seconds=120, progress_callback=on_progress
                )
                # A step may name a call that clears the way (a dialog to dismiss) and a retry.
                if result.is_error and "recover" in step:
                    await client.call_tool(step["recover"]["tool"], step["recover"].get("args", {}))
                    result = await client.call_tool(step["tool"], call_args, read_timeout_seconds=120)
                texts = [block.text for block in result.content if getattr(block, "type", "") == "text"]
                images = [block.mime_type for block in result.content if getattr(block, "type", "") == "image"]
                text = "\n".join(texts)
                report.append(
                    {
                        "error": bool(result.is_error),
                        "text": text,
                        "images": images,
                        "progress": progress,
                        "seconds": time.perf_counter() - started,
                    }
                )
                if not result.is_error:
                    last_text = text
            except Exception as error:  # a protocol error: the report says which
                report.append({"error": True, "protocol": True, "text": repr(error), "progress": progress})
    return report


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--http")
    parser.add_argument("--token", default="")
    parser.add_argument("--mode", default="auto")
    parser.add_argument("--steps", required=True)
    parser.add_argument("--stdio", nargs=argparse.REMAINDER)
    args = parser.parse_args()
    steps = json.loads(args.steps)
    report = asyncio.run(run(args, steps))
    json.dump(report, sys.stdout)


if __name__ == "__main__":
    main()
