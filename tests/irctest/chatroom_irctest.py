"""irctest controller for chatroom's `chat-server` (issue 17's IRC front).

irctest (../shared/irctest, unmodified) imports this module by name
(`--controller chatroom_irctest`, with this folder on PYTHONPATH; run.sh does
both) and calls `get_irctest_controller_class()`. The controller starts the
real `chat-server` binary, serving IRC on the port irctest chose, with a
fresh temporary `--data-dir` for every test, and removes it afterwards.

Which binary: `$CHATROOM_SERVER_BIN`, else `chat-server` on PATH. run.sh sets
it to the freshly built `target/debug/chat-server`.

What the server does not have is said here, not worked around: a test that
needs it is skipped by irctest (NotImplementedByController), and shows up as
skipped with that reason.
"""

import os
from pathlib import Path
import shutil
import subprocess
from typing import Any, Optional, Set, Type

from irctest.basecontrollers import BaseServerController, DirectoryBasedController
from irctest.runner import NotImplementedByController
from irctest.specifications import Capabilities


def server_binary() -> str:
    binary = os.environ.get("CHATROOM_SERVER_BIN") or shutil.which("chat-server")
    if not binary:
        raise RuntimeError(
            "chat-server not found: set CHATROOM_SERVER_BIN or put it on PATH "
            "(tests/irctest/run.sh builds it and sets the variable)"
        )
    return binary


class ChatroomController(BaseServerController, DirectoryBasedController):
    software_name = "chatroom"
    # SASL PLAIN against the server's accounts, as issue 17 asks.
    supported_sasl_mechanisms: Set[str] = {"PLAIN"}
    supports_sts = False
    # The IRCv3 capabilities issue 17 promises.
    capabilities = frozenset(
        {
            Capabilities.BATCH,
            Capabilities.ECHO_MESSAGE,
            Capabilities.MESSAGE_TAGS,
            Capabilities.SERVER_TIME,
        }
    )

    def run(
        self,
        hostname: str,
        port: int,
        *,
        password: Optional[str],
        ssl: bool,
        run_services: bool,
        faketime: Optional[str],
        websocket_hostname: Optional[str],
        websocket_port: Optional[int],
    ) -> None:
        if websocket_hostname is not None or websocket_port is not None:
            raise NotImplementedByController("Websocket")
        if password is not None:
            # chat-server has no server password; PASS is not one yet.
            raise NotImplementedByController("server password (PASS)")
        if run_services:
            # No NickServ: accounts are `chat-server user add` (registerUser).
            raise NotImplementedByController("services")
        assert self.proc is None
        self.port = port
        self.hostname = hostname
        self.create_config()
        assert self.directory
        data_dir = self.directory / "data"

        command = [
            server_binary(),
            "--host",
            hostname,
            # The native listeners on free ports, out of irctest's way.
            "--port",
            "0",
            "--tls-port",
            "0",
            "--data-dir",
            str(data_dir),
            # Every irctest client comes from 127.0.0.1, many at once.
            "--max-per-ip",
            "0",
            # irctest sends bursts and waits on PING/PONG; ngIRCd, Ergo and
            # the others are run with their fake lag off too.
            "--flood-rate",
            "0",
            # The name irctest expects as the source of server replies.
            "--server-name",
            "My.Little.Server",
        ]
        if ssl:
            # IRC over TLS on irctest's port, plain IRC out of the way.
            (unused_hostname, unused_port) = self.get_hostname_and_port()
            command += [
                "--tls-self-signed",
                "--irc-tls-port",
                str(port),
                "--irc-port",
                str(unused_port),
            ]
        else:
            command += ["--irc-port", str(port)]

        if faketime and shutil.which("faketime"):
            command = ["faketime", "-f", faketime, *command]
            self.faketime_enabled = True

        self.proc = self.execute(command, proc_name="chat-server")

    def registerUser(
        self,
        case: Any,  # irctest.cases.BaseServerTestCase
        username: str,
        password: Optional[str] = None,
    ) -> None:
        """An account, as `chat-server user add` makes one (it reads the
        password from stdin's first line when stdin is not a terminal)."""
        if password is None:
            raise NotImplementedByController("account without a password")
        assert self.directory
        subprocess.run(
            [
                server_binary(),
                "user",
                "add",
                "--data-dir",
                str(Path(self.directory) / "data"),
                username,
            ],
            input=password + "\n",
            text=True,
            check=True,
            capture_output=True,
            timeout=30,
        )


def get_irctest_controller_class() -> Type[ChatroomController]:
    return ChatroomController
